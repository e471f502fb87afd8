"""``benchmarks/refine_curve.py``: a learned protection refined by k steps on the public model, beside PGD-k."""

from __future__ import annotations

import json

import numpy as np
import pytest


def test_curve_rows_and_files(tmp_path, load_script, public_forger_defence):
    script = load_script("benchmarks/refine_curve.py")
    paths = public_forger_defence
    stem = tmp_path / "rc"
    assert script.main(["--public", str(paths["public"]), "--forger", str(paths["forger"]),
                        "--defence", str(paths["defence"]), "--stem", str(stem), "--n-faces", "6",
                        "--steps", "0", "1", "2", "--requests-per-step", "1"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    rows = {r["method"]: r for r in out["rows"]}
    assert list(rows) == ["initiative", "initiative + 1 steps", "initiative + 1 steps, 1/5 per step",
                          "PGD-1 (step eps/1)", "initiative + 2 steps", "initiative + 2 steps, 1/5 per step",
                          "PGD-2 (step eps/2)", "ruiz_pgd (PGD-10, step 0.01)", "sign_noise"]
    assert [rows[m]["steps"] for m in rows] == [0, 1, 1, 1, 2, 2, 2, 10, 0]
    for r in rows.values():
        assert r["linf"] <= 0.05 + 1e-5 and np.isfinite(r["mse"]) and r["ms_per_image"] > 0
    # each refinement changes what PG publishes, and the steps cost more than PG's one pass
    assert rows["initiative + 1 steps"]["mse"] != pytest.approx(rows["initiative"]["mse"])
    assert rows["initiative + 2 steps"]["ms_per_image"] > rows["initiative"]["ms_per_image"]
    # one request per step is another protection than all five, and a cheaper one
    assert rows["initiative + 2 steps, 1/5 per step"]["mse"] != pytest.approx(rows["initiative + 2 steps"]["mse"])
    assert rows["initiative + 2 steps, 1/5 per step"]["start"] == "from PG's output, 1 of 5 requests per step"
    assert out["seed"] == 123
    assert "| initiative + 1 steps | from PG's output | 1 |" in stem.with_suffix(".md").read_text()
    assert stem.with_suffix(".png").stat().st_size > 0
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--defence", "d.pt", "--stem", str(stem),
                     "--steps", "-1"])
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--defence", "d.pt", "--stem", str(stem),
                     "--requests-per-step", "5"])
