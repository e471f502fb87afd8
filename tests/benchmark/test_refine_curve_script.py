"""``benchmarks/refine_curve.py``: a learned protection refined by k steps on the public model, beside PGD-k."""

from __future__ import annotations

import json

import numpy as np
import pytest


def test_curve_rows_and_files(tmp_path, load_script):
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.data.synthetic import ALL_ATTRIBUTES, PAPER_ATTRIBUTES, SyntheticFaces
    from art_initiative.training.stargan import train_stargan

    script = load_script("benchmarks/refine_curve.py")
    x, labels = SyntheticFaces(48, 16, seed=0, attributes=ALL_ATTRIBUTES).arrays()
    y = labels[:, [ALL_ATTRIBUTES.index(a) for a in PAPER_ATTRIBUTES]]
    kw = dict(width=4, disc_width=8, device_type="cpu", verbose=False)
    public = train_stargan(x, y, "res6", iterations=20, checkpoint_path=tmp_path / "public.pt", seed=0, **kw)
    train_stargan(x, y, "res6", iterations=10, init_from=tmp_path / "public.pt", checkpoint_path=tmp_path / "f.pt",
                  seed=1, **kw)
    InitiativeDefense(public, profile="tiny", verbose=False).fit(x, y).save(tmp_path / "pg.pt")
    stem = tmp_path / "rc"
    assert script.main(["--public", str(tmp_path / "public.pt"), "--forger", str(tmp_path / "f.pt"),
                        "--defence", str(tmp_path / "pg.pt"), "--stem", str(stem), "--n-faces", "6",
                        "--steps", "0", "1", "2"]) == 0
    out = json.loads(stem.with_suffix(".json").read_text())
    rows = {r["method"]: r for r in out["rows"]}
    assert list(rows) == ["initiative", "initiative + 1 steps", "PGD-1 (step eps/1)", "initiative + 2 steps",
                          "PGD-2 (step eps/2)", "ruiz_pgd (PGD-10, step 0.01)", "sign_noise"]
    assert [rows[m]["steps"] for m in rows] == [0, 1, 1, 2, 2, 10, 0]
    for r in rows.values():
        assert r["linf"] <= 0.05 + 1e-5 and np.isfinite(r["mse"]) and r["ms_per_image"] > 0
    # each refinement changes what PG publishes, and the steps cost more than PG's one pass
    assert rows["initiative + 1 steps"]["mse"] != pytest.approx(rows["initiative"]["mse"])
    assert rows["initiative + 2 steps"]["ms_per_image"] > rows["initiative"]["ms_per_image"]
    assert out["seed"] == 123
    assert "| initiative + 1 steps | from PG's output | 1 |" in stem.with_suffix(".md").read_text()
    assert stem.with_suffix(".png").stat().st_size > 0
    with pytest.raises(SystemExit):
        script.main(["--public", "p.pt", "--forger", "f.pt", "--defence", "d.pt", "--stem", str(stem),
                     "--steps", "-1"])
