"""The reenactment protocol's split of the victim's video (``held_out_split``), used by the harness and by
``benchmarks/reenactment_floor.py``."""

from __future__ import annotations

import numpy as np
import pytest

from art_initiative.benchmark.reenactment import ReenactmentBenchmarkConfig, held_out_split


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


def test_the_floor_script_uses_the_harness_split(load_script):
    assert load_script("benchmarks/reenactment_floor.py").held_out_split is held_out_split


def test_the_mean_over_forger_seeds_keeps_the_spread_of_the_dsr_and_of_the_distance_to_real():
    from art_initiative.benchmark.reenactment import _mean_over_seeds
    from art_initiative.benchmark.tables import reenactment_tables

    per_seed = [{"dsr": 0.2, "l1": 0.04, "l1_to_real": 0.050, "lpips_to_real": 0.010},
                {"dsr": 0.4, "l1": 0.06, "l1_to_real": 0.054, "lpips_to_real": 0.014}]
    r = _mean_over_seeds(per_seed)
    assert r["n_seeds"] == 2 and r["dsr"] == pytest.approx(0.3) and r["l1"] == pytest.approx(0.05)
    assert (r["dsr_std"], r["l1_to_real_std"], r["lpips_to_real_std"]) == pytest.approx((0.1, 0.002, 0.002))
    assert "l1_std" not in r  # the spread of the agreement with M is the DSR's
    record = {**r, "method": "initiative", "target": "res6", "eps": 0.05, "psnr": 35.0, "ssim": 0.9,
              "lpips_protected": 0.001, "seconds_per_image": 0.001, "l1_to_real_clean": 0.045,
              "l1_to_real_clean_std": 0.001, "lpips_to_real_clean": 0.009}
    md = "\n".join(reenactment_tables([record]))
    assert "30% ± 10 (2 seeds)" in md and "res6 0.0520 ± 0.0020 (LPIPS 0.0120 ± 0.0020)" in md
    assert "| 0.0450 ± 0.0010 (LPIPS 0.0090) |" in md  # the clean forgers' spread, where the record has it
