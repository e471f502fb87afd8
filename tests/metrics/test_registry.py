"""The metric declarations: one declaration reaches the records, the tables and the demo's report."""

from __future__ import annotations

import numpy as np
import pytest

from art_initiative.benchmark import demo, records, tables
from art_initiative.metrics import registry
from art_initiative.metrics.registry import METRICS, Column, Metric, measure, metric_columns


def _linf(a: np.ndarray, b: np.ndarray, distance: str, device: str) -> float:
    return float(np.abs(a - b).max())


NEW = (Metric("linf_forgery", "forgery", _linf, core=False,
              columns=(Column("attribute_summary", 8, "L-inf (forgery)", "f3"),
                       Column("attribute_sweep", 6, "L-inf", "f2"), Column("demo", 5, "L-inf", "f3"))),
       Metric("linf_protected", "protection", _linf, core=False,
              columns=(Column("reenactment_cost", 3, "L-inf (published)", "f3"),)))


@pytest.fixture
def with_new_metrics(monkeypatch):
    monkeypatch.setattr(registry, "METRICS", METRICS + NEW)


def test_keys_are_unique_and_columns_have_distinct_places():
    assert len({m.key for m in METRICS}) == len(METRICS)
    for table in ("attribute_summary", "attribute_sweep", "reenactment_cost", "demo"):
        places = [c.position for _, c in metric_columns(table)]
        assert len(places) == len(set(places)) and places


def test_record_keys_hold_the_core_metrics_in_declaration_order():
    core = [m.key for m in METRICS if m.core]
    assert [k for k in records.RECORD_KEYS if k in core] == core
    assert "dsr_0.02" not in records.RECORD_KEYS


def test_column_formats():
    assert Column("demo", 0, "x", "pct").format(0.256) == "26%"
    assert Column("demo", 0, "x", "pct1").format(0.256) == "25.6%"
    assert Column("demo", 0, "x", "f3").format(0.12345) == "0.123"
    assert Column("demo", 0, "x", "f1 dB").format(31.26) == "31.3 dB"
    assert Column("demo", 0, "x", "f4").format(None) == "-"


def test_measure_skips_network_metrics_and_checks_the_distance(images):
    cheap = measure("forgery", images, images + 0.1, network=False)
    assert "lpips_forgery" not in cheap and cheap["mse"] == pytest.approx(0.01, rel=1e-4)
    with pytest.raises(ValueError, match="distance"):
        measure("forgery", images, images, distance="l2")


def test_a_new_metric_is_one_declaration(with_new_metrics, images):
    moved = np.clip(images + 0.25, -1, 1)
    forgery = records.forgery_metrics(images, moved, perceptual=False)
    assert forgery["linf_forgery"] == pytest.approx(0.25, abs=1e-6)
    assert records.protection_metrics(images, moved)["linf_protected"] == pytest.approx(0.25, abs=1e-6)

    base = dict(task="attribute_editing", target="res6", domains="SD", eps=0.05, seconds_per_image=0.001,
                psnr=30.0, ssim=0.9, lpips_protected=0.01)
    rows = [records.make_record(method="initiative", **base, **forgery, lpips_forgery=0.1, perceptual_forgery=0.2),
            records.make_record(method="initiative", **{**base, "eps": 0.1}, **forgery, lpips_forgery=0.1,
                                perceptual_forgery=0.2, sweep=True)]
    text = "\n".join(tables.attribute_tables(rows))
    assert "| L-inf (forgery) | ms per image |" in text and "| 0.250 | 1.00 |" in text
    assert "| DSR >0.01 | L-inf |" in text and "| 0.25 |" in text

    reen = [records.make_record(method="initiative", target="res6", eps=0.02, seconds_per_image=0.001, psnr=40.0,
                                ssim=0.95, lpips_protected=0.01, linf_protected=0.02, dsr=0.5, l1=0.06)]
    assert "| LPIPS | L-inf (published) | ms per frame |" in "\n".join(tables.reenactment_tables(reen))

    markdown = "\n".join(demo.results_table(rows[:1]))
    assert "| PSNR protected | L-inf | ms per image |" in markdown and "| 0.250 | 1.00 |" in markdown
