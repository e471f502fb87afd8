"""``benchmarks/gpu_drift.py``: the prepared GPU run of issue #12's drift curve, at tiny settings on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_drift.py"
TINY_PG = "pg_width=4,pg_levels=2,sm_disc_width=4,critic_width=4,batch_size=4,sm_pretrain_iterations=2"


def test_rounds_stop_before_a_round_that_would_pass_the_deadline_and_on_an_error(load_script):
    rounds = load_script("benchmarks/gpu_drift.py").rounds
    seen: list[int] = []

    def slow(n: int) -> None:  # 0.1 s per added iteration
        time.sleep(0.1 * (n - (seen[-1] if seen else 0)))
        seen.append(n)

    out = rounds([1, 2, 10], slow, time.time() + 0.6, "job")
    assert out["iterations"] == [1, 2] and seen == [1, 2]  # 8 more iterations at 0.1 s would pass the deadline
    assert "error" not in out and len(out["round_seconds"]) == 2

    def fails_at_3(n: int) -> None:
        if n == 3:
            raise RuntimeError("out of memory")

    out = rounds([1, 3, 5], fails_at_3, time.time() + 60, "job")
    assert out["iterations"] == [1] and "out of memory" in out["error"]

    # A first round that paid for a warm-up (0.3 s here) does not stop the second: only the deadline does.
    def warm(n: int) -> None:
        time.sleep((0.3 if not seen else 0.0) + 0.02 * (n - (seen[-1] if seen else 0)))
        seen.append(n)

    for flag, expected in ((False, [1]), (True, [1, 11, 21])):  # by the first round's pace, 10 more take 3.5 s
        seen.clear()
        assert rounds([1, 11, 21, 400], warm, time.time() + 1.5, "job", first_has_warm_up=flag)["iterations"] == \
            expected
    seen.clear()
    assert rounds([1, 2, 3], warm, time.time() + 0.2, "job", first_has_warm_up=True)["iterations"] == [1]


def test_tiny_run_trains_the_forgers_and_pgs_in_rounds_and_writes_the_drift_curve(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--image-size", "16", "--width", "4",
                           "--disc-width", "8", "--n-train", "16", "--target-iterations", "10", "--step", "5",
                           "--lengths", "10", "5", "--scratch", "--defence", f"ats=3,{TINY_PG},defence_faces=24",
                           "--defence", f"frozen=3,{TINY_PG},alternating=false", "--self-lengths", "4", "8",
                           "--defence", f"ens=3,{TINY_PG},alternating=false,surrogates=self4+self8",
                           "--pg-max-iterations", "6", "--ruiz-budget", "3:0.02",
                           "--faces", "4", "--threads", "1", "--n-jobs", "1", "--cache-dir", str(cache),
                           "--output", str(out)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TMPDIR": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "released model 10, forgers ft5, ft10, scratch, own self4, self8, ats 6, frozen 6, ens 6" in done.stdout
    assert not list(tmp_path.glob("gpu_drift_data_*"))  # the workers' copy of the faces is removed
    summary = json.loads((out / "gpu_drift-cpu-16-cnet.json").read_text())
    assert summary["released_iterations"] == 10 and summary["release"]["iterations"] == [5, 10]
    assert [d["iterations"] for d in summary["defences"]] == [[3, 6], [3, 6], [3, 6]]
    own = dict(summary["own_drift"]["paths"])
    ens = json.loads(next((cache / "defence-ens").glob("*-training.json")).read_text())["config"]
    assert ens["surrogate_digests"].count(",") == 1  # trained against both of the defender's own fine-tunings
    assert all(json.loads(Path(own[k][:-3] + ".json").read_text())["state"]["iteration"] == n
               for k, n in (("self4", 4), ("self8", 8)))
    for d in summary["defences"]:  # every round's PG kept, and the 6-iteration round resumed the 3-iteration one
        assert [os.path.basename(p) for _, p in d["paths"]] == ["pg-it3.pt", "pg-it6.pt"]
        training = next((cache / f"defence-{d['name']}").glob("*-training.json"))
        assert json.loads(training.read_text())["config"]["iterations"] == 6
    curve = json.loads((out / "strength_transfer-synthetic-cpu-16-cnet-drift.json").read_text())
    assert list(curve["forgers"]) == ["ft5", "ft10", "scratch"]
    methods = [r["method"] for r in curve["rows"]]
    assert {"ats-3", "ats-6", "frozen-3", "frozen-6", "ens-6", "ats-6 saturated", "ruiz_pgd (on the public model)",
            "pgd (on public+self4+self8)", "ruiz_pgd-3 step 0.02 (on the public model)",
            "whitebox_pgd (on ft10)", "whitebox_pgd (on scratch)",
            "sign_noise"} <= set(methods)
    assert all(set(r["forgers"]) == {"ft5", "ft10", "scratch"} for r in curve["rows"])
    ruiz = next(r for r in curve["rows"] if r["method"].startswith("ruiz_pgd"))
    noise = next(r for r in curve["rows"] if r["method"] == "sign_noise")
    assert ruiz["public"]["mse"] > noise["public"]["mse"]  # PGD on the model it was computed on beats noise
    assert (out / "strength_transfer-synthetic-cpu-16-cnet-drift.png").stat().st_size > 0


def test_bad_variant_is_refused_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--defence", "ats", "--output",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--defence must be NAME=ITERATIONS" in done.stderr


def test_an_ensemble_of_unknown_own_models_is_refused_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--self-lengths", "2000",
                           "--defence", "ens=500,surrogates=self2000+self8000", "--output", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--defence ens: surrogates must be labels self<N> of --self-lengths" in done.stderr
    assert "got self8000" in done.stderr


def test_a_bad_ruiz_budget_is_refused_before_anything_trains(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--ruiz-budget", "50", "--output",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--ruiz-budget must be STEPS:STEP" in done.stderr
    assert not list(tmp_path.iterdir())
