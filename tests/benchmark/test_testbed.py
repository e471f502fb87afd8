"""The test bed's models: the forger's targets and the defender's model, trained once and found by their cache
path."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest

from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
from art_initiative.benchmark.testbed import (
    defender_surrogate_path,
    forger_target_path,
    public_model,
    target_path,
    train_target,
)


def test_a_longer_target_continues_the_cached_shorter_one(tmp_path):
    from art_initiative.data import SyntheticFaces

    x, labels = SyntheticFaces(24, 16, seed=0).arrays()
    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, width=4, disc_width=4, target_iterations=6)
    cache = str(tmp_path / "new")  # a cache folder that does not exist yet is made
    train_target(x, labels, "res6", 1, cfg, "cpu", cache, iterations=3)
    longer = train_target(x, labels, "res6", 1, cfg, "cpu", cache)
    straight = train_target(x, labels, "res6", 1, cfg, "cpu", None)
    assert target_path(x, labels, "res6", 1, cfg, cache).endswith("-it6.pt")
    # InstanceNorm U-Nets are kept under another recipe key than the BatchNorm ones cached before them
    key = lambda arch: os.path.basename(target_path(x, labels, arch, 1, cfg, cache)).split("-")[3]  # noqa: E731
    assert key("unet128") != key("res6") == key("res9")
    assert sorted(p.name.rsplit("-", 1)[1] for p in (tmp_path / "new").glob("*.pt")) == ["it3.pt", "it6.pt"]
    c = np.tile(labels[:1], (4, 1))
    np.testing.assert_allclose(longer.predict(x[:4], conditions=c), straight.predict(x[:4], conditions=c), atol=1e-5)


def test_the_forger_fine_tunes_the_defenders_model_only_in_its_own_architecture(tmp_path):
    cfg = AttributeBenchmarkConfig(profile="tiny", image_size=16, width=4, disc_width=4, n_train=6, n_test=2,
                                   target_iterations=8, finetune_iterations=3, blackbox_iterations=5).validate()
    split, cache = attribute_data("synthetic", cfg), str(tmp_path)
    assert public_model(split, cfg, cache) is None  # the paper's protocol: every target from random weights
    scratch = forger_target_path(split, cfg, "res6", "SD", cache)
    assert "-ft" not in os.path.basename(scratch) and scratch.endswith("-it8.pt")
    public = replace(cfg, forger_start="public", domains=("SD",)).validate()
    released = public_model(split, public, cache)
    assert released == defender_surrogate_path(split, public, cache) != scratch
    assert "-s1-" in os.path.basename(released) and "-s2-" in os.path.basename(scratch)  # defender's and forger's seeds
    tuned = forger_target_path(split, public, "res6", "SD", cache)
    assert "-ft" in os.path.basename(tuned) and tuned.endswith("-it3.pt")
    other = forger_target_path(split, public, "cnet", "SD", cache)  # cannot start from a res6: from scratch
    assert "-ft" not in os.path.basename(other) and other.endswith("-it5.pt")
    with pytest.raises(ValueError, match="needs a cache_dir"):
        public_model(split, public, None)
