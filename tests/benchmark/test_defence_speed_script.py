"""``benchmarks/defence_speed.py``: the cpu profile's training time per loss variant, projected from short fits."""

from __future__ import annotations

import json

import pytest


def test_rows_projection_and_files(tmp_path, load_script):
    script = load_script("benchmarks/defence_speed.py")
    stem = tmp_path / "ds"
    assert script.main(["--stem", str(stem), "--image-size", "16", "--n-faces", "32", "--warm-iterations", "2",
                        "--alternating-iterations", "2", "--skip", "1", "--variants", "0", "2"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    rows = {r["variant"]: r for r in out["rows"]}
    assert list(rows) == [list(script.VARIANTS)[0], list(script.VARIANTS)[2]]
    assert rows[list(script.VARIANTS)[2]]["settings"] == {"lambda_cyc": 0.0, "enhancement": False}
    for r in rows.values():
        assert r["warm_start_s_per_iteration"] > 0 and r["alternating_s_per_iteration"] > 0
        # the projection is the profile's iterations at the measured rates
        projected = (out["sm_pretrain_iterations"] * r["warm_start_s_per_iteration"]
                     + out["iterations"] * r["alternating_s_per_iteration"])
        assert r["projected_training_s"] == pytest.approx(projected)
    assert (out["sm_pretrain_iterations"], out["iterations"], out["image_size"]) == (2500, 800, 16)
    md = stem.with_suffix(".md").read_text()
    assert "| no cycle term, no eq. 12 (lambda_cyc=0, enhancement=False) |" in md and "2500 warm-start" in md
    with pytest.raises(SystemExit):
        script.main(["--stem", str(stem), "--alternating-iterations", "1"])
