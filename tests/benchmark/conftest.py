"""Fixtures of the benchmark tests: tiny trained models of the public-model scenario."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def public_forger_defence(tmp_path) -> dict[str, Path]:
    """Checkpoints of a tiny public ``res6`` (20 iterations), the forger's fine-tuned copy (10 more, another seed)
    and an :class:`~art_initiative.attacks.InitiativeDefense` fitted on the public model (``tiny`` profile), as the
    ``public``, ``forger`` and ``defence`` paths."""
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.data.synthetic import ALL_ATTRIBUTES, PAPER_ATTRIBUTES, SyntheticFaces
    from art_initiative.training.stargan import train_stargan

    x, labels = SyntheticFaces(48, 16, seed=0, attributes=ALL_ATTRIBUTES).arrays()
    y = labels[:, [ALL_ATTRIBUTES.index(a) for a in PAPER_ATTRIBUTES]]
    kw = dict(width=4, disc_width=8, device_type="cpu", verbose=False)
    paths = {name: tmp_path / f"{name}.pt" for name in ("public", "forger", "defence")}
    public = train_stargan(x, y, "res6", iterations=20, checkpoint_path=paths["public"], seed=0, **kw)
    train_stargan(x, y, "res6", iterations=10, init_from=paths["public"], checkpoint_path=paths["forger"], seed=1,
                  **kw)
    InitiativeDefense(public, profile="tiny", verbose=False).fit(x, y).save(paths["defence"])
    return paths
