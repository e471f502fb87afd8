"""``benchmarks/gpu_testbed.py``: the prepared GPU run of issues #11 / #12, at tiny settings on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_testbed.py"


def test_curve_keeps_the_last_round_and_spreads_the_rest(load_script):
    curve = load_script("benchmarks/gpu_testbed.py").curve
    assert curve([3000, 1000, 2000], 4) == [1000, 2000, 3000]
    assert curve(list(range(1000, 11000, 1000)), 4) == [1000, 4000, 7000, 10000]
    assert curve([1000, 2000, 3000], 1) == [3000]


def test_the_no_ats_ablation_gets_a_fixed_warm_up_so_that_its_rounds_resume(load_script):
    settings = load_script("benchmarks/gpu_testbed.py").variant_settings
    assert settings("initiative_no_ats", {"pg_width": 8}, 300) == {"pg_width": 8, "sm_pretrain_iterations": 300}
    assert settings("initiative_no_ats", {"sm_pretrain_iterations": 50}, 300) == {"sm_pretrain_iterations": 50}
    assert settings("initiative", {"pg_width": 8}, 300) == settings("initiative_no_tde", {"pg_width": 8}, 300) == {
        "pg_width": 8}


def test_iterations_are_the_rounds_not_a_setting(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--set", "iterations=5", "--output",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "--defence-max-iterations" in done.stderr


def test_tiny_run_trains_in_rounds_and_writes_the_curve_and_the_transfer_rows(tmp_path):
    """Targets in both domain settings and two learned defences, trained beside each other, then scored by the
    harness from the cache (the defences are read back, not trained again)."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--profile", "tiny", "--image-size", "16",
                           "--width", "4", "--disc-width", "8", "--n-train", "16", "--n-test", "4", "--targets",
                           "res6", "cnet", "--methods", "ruiz_pgd", "sign_noise", "none", "--step", "5",
                           "--max-iterations", "10", "--train-seconds", "600", "--classifier-iterations", "10",
                           "--threads", "1", "--n-jobs", "1", "--transfer-faces", "4", "--defences", "initiative",
                           "initiative_no_ats", "--defence-step", "2", "--defence-max-iterations", "4",
                           "--no-ats-pretrain", "3", "--set", "pg_width=8", "--cache-dir",
                           str(tmp_path / "cache"), "--output", str(out), "--quiet"], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert not list(tmp_path.glob("gpu_testbed_data_*"))  # the workers' copies of the splits are removed
    assert "trained in" in done.stdout and "surrogate 10, res6 10, cnet 10, res6-DD 10, cnet-DD 10, initiative 4, " \
        "initiative_no_ats 4" in done.stdout
    calibration = json.loads((out / "calibration-synthetic-cpu-16.json").read_text())
    assert sorted((r["target"], r["recipe"]["iterations"]) for r in calibration) == [
        ("cnet", 5), ("cnet", 10), ("res6", 5), ("res6", 10)]
    assert all(r["recipe"]["recipe"] == "stargan" and r["image_size"] == 16 for r in calibration)
    rows = json.loads((out / "attribute_editing-synthetic-cpu-16.json").read_text())
    methods = ("ruiz_pgd", "sign_noise", "none", "initiative", "initiative_sign", "initiative_no_ats")
    assert sorted((r["method"], r["target"], r["domains"]) for r in rows) == sorted(
        (m, t, d) for m in methods for t in ("res6", "cnet") for d in ("SD", "DD"))
    assert all(r["target_iterations"] == 10 and r.get("lpips_forgery") is None for r in rows)
    learned = {r["method"]: r["defence_config"] for r in rows if r["method"].startswith("initiative")}
    assert all(c["iterations"] == 4 and c["pg_width"] == 8 and c["sm_init"] == "fresh" for c in learned.values())
    assert learned["initiative"]["alternating"] and learned["initiative"]["sm_pretrain_iterations"] == 0
    no_ats = learned["initiative_no_ats"]
    assert not no_ats["alternating"] and no_ats["sm_pretrain_iterations"] == 3
    # The harness read the defences trained beside the surrogate back (one file each, written before scoring).
    saved = [p for p in (tmp_path / "cache").glob("initiative*.pt") if not p.name.endswith("-training.pt")]
    assert len(saved) == 2
    assert max(p.stat().st_mtime for p in saved) < (out / "calibration-synthetic-cpu-16.json").stat().st_mtime
    md = (out / "attribute_editing-synthetic-cpu-16.md").read_text()
    assert "(attribute_editing-synthetic-cpu-16.png)" in md and "sweep" not in md.split("###")[0].split("Settings")[0]
    assert (out / "calibration-synthetic-cpu-16.png").stat().st_size > 0
    assert not list(out.glob("*-tiny.*"))  # every file renamed after the device and size
    # The transfer curve: the surrogate against every target at each round all of them completed.
    curve = json.loads((out / "transfer_length-synthetic-cpu-16.json").read_text())["records"]
    assert sorted((r["iterations"], r["model"]) for r in curve) == [(5, "cnet"), (5, "res6"), (10, "cnet"),
                                                                    (10, "res6")]
    assert all(r["clean_distance"] > 0 and r["whitebox_mse"] > 0 for r in curve)
    assert (out / "strength_transfer-synthetic-cpu-16-len10.md").exists()
    assert (out / "transfer_length-synthetic-cpu-16.png").stat().st_size > 0


def test_franck_runs_from_the_crops_cache_where_neither_opencv_nor_dlib_is(tmp_path, monkeypatch,
                                                                           write_talking_video):
    """``--data franck`` on a lent machine: the crops come from the cache ``--prepare`` wrote here (with OpenCV and
    dlib), the run itself imports neither (both are blocked in its process), the calibration leaves its landmark
    check out and says so, and Table 1's rows are written for the real frames' SD and DD attributes."""
    pytest.importorskip("dlib")
    repo = str(SCRIPT.parents[1])
    (tmp_path / "data" / "franck").mkdir(parents=True)
    # franck's split needs some 650 frames: 60 rendered, repeated
    write_talking_video(tmp_path / "data" / "franck" / "franck.mp4", 660, 128, seed=3, period=60)
    monkeypatch.chdir(tmp_path)
    common = ["--device", "cpu", "--profile", "tiny", "--data", "franck", "--image-size", "16", "--cache-dir",
              str(tmp_path / "cache")]
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": repo}
    prepared = subprocess.run([sys.executable, str(SCRIPT), *common, "--prepare"], capture_output=True, text=True,
                              timeout=600, env=env)
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    assert "prepared:" in prepared.stdout and not (tmp_path / "out").exists()
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("cv2", "dlib"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('no {name} on this machine')\n")
    done = subprocess.run([sys.executable, str(SCRIPT), *common, "--width", "4", "--disc-width", "8", "--targets",
                           "res6", "--methods", "ruiz_pgd", "none", "--step", "5", "--max-iterations", "5",
                           "--train-seconds", "600", "--classifier-iterations", "10", "--threads", "1", "--n-jobs",
                           "1", "--defences", "initiative", "--defence-step", "2", "--defence-max-iterations", "2",
                           "--output", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                          timeout=600, env={**env, "PYTHONPATH": f"{blocked}{os.pathsep}{repo}"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "landmark check of the video crops is left out: VideoFrames needs OpenCV and dlib" in done.stderr
    out = tmp_path / "out"
    calibration = json.loads((out / "calibration-franck-cpu-16.json").read_text())
    assert [(r["target"], r["data"]) for r in calibration] == [("res6", "franck")]
    assert "landmark_accuracy" not in calibration[0] and "classifier_accuracy" in calibration[0]
    rows = json.loads((out / "attribute_editing-franck-cpu-16.json").read_text())
    assert sorted((r["method"], r["domains"]) for r in rows) == sorted(
        (m, d) for m in ("ruiz_pgd", "none", "initiative", "initiative_sign") for d in ("SD", "DD"))
    assert not list(out.glob("transfer_length-*")) and not list(out.glob("strength_transfer-*"))
