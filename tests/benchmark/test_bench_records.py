"""Benchmark records: the shared keys, merging, loading, and the measurements behind them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from art_initiative.benchmark.common import uniform_noise, variant_overrides
from art_initiative.benchmark.records import (
    RECORD_KEYS,
    forgery_metrics,
    load_records,
    make_record,
    merge_records,
    protection_metrics,
    seconds_per_image,
)


def test_make_record_puts_every_key_first_and_keeps_extras():
    r = make_record(method="none", eps=0.05, dsr=0.5, extra=1)
    assert tuple(r)[:len(RECORD_KEYS)] == RECORD_KEYS
    assert r["task"] is None and r["dsr"] == 0.5 and r["extra"] == 1


def test_merge_replaces_same_setting_and_keeps_the_rest():
    old = [make_record(method="a", target="res6", domains="SD", eps=0.05, dsr=0.1),
           make_record(method="b", target="res6", domains="SD", eps=0.05, dsr=0.2)]
    new = [make_record(method="a", target="res6", domains="SD", eps=0.05, dsr=0.9),
           make_record(method="a", target="res6", domains="SD", eps=0.05, dsr=0.3, sweep=True)]
    merged = {(r["method"], bool(r.get("sweep"))): r["dsr"] for r in merge_records(old, new)}
    assert merged == {("a", False): 0.9, ("b", False): 0.2, ("a", True): 0.3}


def test_load_records(tmp_path):
    assert load_records(tmp_path / "missing.json") == []
    path = tmp_path / "r.json"
    path.write_text(json.dumps([make_record(method="none")]))
    assert load_records(path)[0]["method"] == "none"
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="not a results file"):
        load_records(path)


def test_forgery_metrics_are_zero_for_equal_forgeries_and_grow_with_the_change(images):
    same = forgery_metrics(images, images.copy())
    assert same["dsr"] == 0 and same["mse"] == 0 and same["l1"] == 0 and same["lpips_forgery"] < 1e-6
    moved = forgery_metrics(images, np.clip(images + 0.3, -1, 1), metric="l1")
    assert moved["dsr"] == 1.0 and moved["l1"] > 0.2 and moved["perceptual_forgery"] > 0


def test_protection_metrics_and_noise_bound(images):
    noisy = uniform_noise(images, 0.05, seed=1)
    assert np.abs(noisy - images).max() <= 0.05 + 1e-6 and noisy.dtype == np.float32
    m = protection_metrics(images, noisy)
    assert 30 < m["psnr"] < 60 and 0 < m["ssim"] <= 1 and m["lpips_protected"] >= 0


def test_seconds_per_image_is_per_image(images):
    calls = []
    seconds = seconds_per_image(lambda a: calls.append(len(a)) or a, images, repeats=3)
    assert calls == [1, 4, 4, 4] and seconds > 0


def test_no_ats_gets_a_warm_start_when_the_profile_has_none():
    assert variant_overrides("attribute_editing", "initiative_no_ats", "tiny", {})["sm_pretrain_iterations"] > 0
    assert variant_overrides("reenactment", "initiative_no_tde", "tiny", {"eps": 0.05}) == {
        "sm_init": "fresh", "eps": 0.05, "mask_outside": 1.0}
    assert variant_overrides("attribute_editing", "initiative_no_tde", "cpu", {}) == {"sm_init": "fresh",
                                                                                      "enhancement": False}
    # The benchmark's defences start SM from fresh weights unless told otherwise.
    assert variant_overrides("attribute_editing", "initiative", "cpu", {"sm_init": "estimator"})["sm_init"] == \
        "estimator"
