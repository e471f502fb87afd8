"""Shared fixtures: tiny images, tiny models, two torch threads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def images(rng: np.random.Generator) -> np.ndarray:
    """Four random 32x32 RGB images in [-0.9, 0.9]."""
    return rng.uniform(-0.9, 0.9, size=(4, 3, 32, 32)).astype(np.float32)


@pytest.fixture
def res6_translator():
    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.models import build_model

    torch.manual_seed(0)
    G = build_model("res6", image_size=32, width=8, c_dim=5)
    return PyTorchImageTranslator(G, (3, 32, 32), c_dim=5, device_type="cpu")
