"""``benchmarks/reenactment_floor.py``: its splits of the video."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reenactment_floor.py"


def _module():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("reenactment_floor", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_splits_are_disjoint_with_gaps_and_cover_the_video_in_blocks():
    split = _module().split
    train, test, need = split(1200, 20, 100, 1)
    assert (train[-1], test[0], test[-1], need) == (1199, 1220, 1319, 1320)
    train, test, need = split(1200, 20, 100, 10)
    assert len(train) == 1200 and len(test) == 100 and need == 1700
    assert not set(train) & set(test) and max(train.max(), test.max()) < need
    gaps = np.abs(test[:, None] - train[None, :]).min(axis=1)
    assert gaps.min() == 21  # at least `gap` frames between a held-out frame and any training frame
    assert len({t // 170 for t in test}) == 10  # held-out frames from every block
    with pytest.raises(ValueError, match="must divide by blocks"):
        split(1200, 20, 100, 7)
