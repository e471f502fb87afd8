"""Micro-benchmarks (pytest-benchmark): protecting images with the learned PG vs the Ruiz et al. PGD baseline.

Not part of the test suite (``testpaths`` is ``tests``). Run with::

    .venv/bin/python -m pytest benchmarks/test_throughput.py --benchmark-json benchmarks/results/throughput-cpu.json

Both protect the same batch of faces on the same device at the paper's network sizes (PG: the paper's 5-level
UNet, width 64; the baseline: PGD-10 through a width-64 ``res6`` StarGAN, jointly over 5 target domains). The
PG's weights do not change its cost, so it is not trained here. Compare the ``mean`` column per image: each
round protects ``BATCH`` images.
"""

from __future__ import annotations

import numpy as np
import pytest

from art_initiative.attacks import InitiativeDefense, RuizDisruption
from art_initiative.estimators import PyTorchImageTranslator

BATCH = 4
DOMAINS = 5


def _translator(size: int) -> PyTorchImageTranslator:
    return PyTorchImageTranslator.from_architecture("res6", size, 64, DOMAINS, "gpu", seed=0)


def _faces(size: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-0.9, 0.9, (BATCH, 3, size, size)).astype(np.float32)


@pytest.mark.parametrize("size", [64, 128])
def test_initiative_generate(benchmark, size):
    defence = InitiativeDefense(_translator(size), profile="paper", batch_size=BATCH, verbose=False)
    x = _faces(size)
    out = benchmark.pedantic(defence.generate, args=(x,), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(images_per_round=BATCH, size=size, method="initiative (PG forward)")
    assert np.abs(out - x).max() <= 0.05 + 1e-6


@pytest.mark.parametrize("size", [64, 128])
def test_ruiz_pgd_generate(benchmark, size):
    est = _translator(size)
    attack = RuizDisruption(est, method="pgd", eps=0.05, eps_step=0.01, max_iter=10, class_mode="joint",
                            batch_size=BATCH, verbose=False)
    x = _faces(size)
    domains = [np.eye(DOMAINS, dtype=np.float32)[k] for k in range(DOMAINS)]
    out = benchmark.pedantic(attack.generate, args=(x,), kwargs={"conditions": domains}, rounds=2,
                             warmup_rounds=0)
    benchmark.extra_info.update(images_per_round=BATCH, size=size, method="ruiz_pgd (10 steps, 5 domains joint)")
    assert np.abs(out - x).max() <= 0.05 + 1e-6
