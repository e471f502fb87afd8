"""``benchmarks/pg_iterations_curve.py``: the PG-iterations lever as a curve from harness results files."""

from __future__ import annotations

import json


def _record(method: str, dsr: float, mse: float, **extra) -> dict:
    return {"method": method, "target": "res6", "domains": "SD", "dsr": dsr, "dsr_0.02": min(1.0, 2 * dsr),
            "dsr_0.01": 1.0, "mse": mse, "psnr": 33.0, **extra}


def test_points_follow_the_iterations_with_the_first_files_controls(tmp_path, load_script):
    curve = load_script("benchmarks/pg_iterations_curve.py")
    short = [_record("initiative", 0.1, 0.03, setup_seconds=100.0, pg_best={"best_distance": 0.04}),
             _record("ruiz_pgd", 0.5, 0.055), _record("sign_noise", 0.0, 0.001),
             _record("initiative", 0.9, 0.9, sweep=True)]  # a sweep record is not the eps 0.05 row
    longer = [_record("initiative", 0.3, 0.04, setup_seconds=250.0),
              _record("initiative_sign", 0.4, 0.045, psnr=32.0), _record("ruiz_pgd", 0.9, 0.9)]
    paths = []
    for name, records in (("a", short), ("b", {"config": {}, "records": longer})):  # b: a demo's report.json
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(records))
    stem = tmp_path / "curve"
    assert curve.main(["--stem", str(stem), "--run", f"2000={paths[1]}", "--run", f"500={paths[0]}"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    assert [(p["iterations"], p["mse"], p["train_seconds"]) for p in out["points"]] == [(500, 0.03, 100.0),
                                                                                        (2000, 0.04, 250.0)]
    assert "saturated" not in out["points"][0] and out["points"][1]["saturated"]["mse"] == 0.045
    assert out["controls"]["ruiz_pgd"]["mse"] == 0.9  # the first --run given, not the fewest iterations
    md = stem.with_suffix(".md").read_text()
    assert "| 2000 | 250 | 30.0% | 60.0% | 100.0% | 0.0400 | 33.0 dB | - |" in md
    assert "| 2000 | 40.0% | 80.0% | 100.0% | 0.0450 | 32.0 dB |" in md
    assert stem.with_suffix(".png").stat().st_size > 0


def test_controls_can_come_from_another_file(tmp_path, load_script):
    curve = load_script("benchmarks/pg_iterations_curve.py")
    run, controls = tmp_path / "run.json", tmp_path / "controls.json"
    run.write_text(json.dumps([_record("initiative", 0.3, 0.04)]))  # a lever's run: no control rows of its own
    controls.write_text(json.dumps([_record("ruiz_pgd", 0.47, 0.055), _record("initiative", 0.0, 0.0)]))
    stem = tmp_path / "curve"
    assert curve.main(["--stem", str(stem), "--run", f"1000={run}", "--controls", str(controls)]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    assert out["controls"] == {"ruiz_pgd": {"dsr": 0.47, "dsr_0.02": 0.94, "dsr_0.01": 1.0, "mse": 0.055}}
    assert out["points"][0]["mse"] == 0.04 and f"Controls ({controls})" in stem.with_suffix(".md").read_text()
