"""The reenactment protocol's split of the victim's video (``held_out_split``), used by the harness and by
``benchmarks/reenactment_floor.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from art_initiative.benchmark.reenactment import ReenactmentBenchmarkConfig, held_out_split

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reenactment_floor.py"


def test_splits_are_disjoint_with_gaps_and_cover_the_video_in_blocks():
    train, test, need = held_out_split(1200, 20, 100)
    assert (train[-1], test[0], test[-1], need) == (1199, 1220, 1319, 1320)
    train, test, need = held_out_split(1200, 20, 100, 10)
    assert len(train) == 1200 and len(test) == 100 and need == 1700
    assert not set(train) & set(test) and max(train.max(), test.max()) < need
    gaps = np.abs(test[:, None] - train[None, :]).min(axis=1)
    assert gaps.min() == 21  # more than `gap` frames between a held-out frame and any published one
    assert len({t // 170 for t in test}) == 10  # held-out frames from every block
    for blocks, match in ((7, "must divide by blocks"), (0, "blocks must be an int >= 1")):
        with pytest.raises(ValueError, match=match):
            held_out_split(1200, 20, 100, blocks)
        with pytest.raises(ValueError, match=match):
            ReenactmentBenchmarkConfig(blocks=blocks).validate()


def test_the_floor_script_uses_the_harness_split():
    spec = importlib.util.spec_from_file_location("reenactment_floor", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.held_out_split is held_out_split
