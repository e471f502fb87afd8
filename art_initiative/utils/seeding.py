"""Deterministic per-iteration randomness, so that a resumed run repeats an uninterrupted one exactly."""

from __future__ import annotations

import numpy as np
import torch


def iteration_rng(seed: int, iteration: int, stream: int = 0) -> np.random.Generator:
    """A numpy generator that depends only on ``(seed, iteration, stream)``."""
    return np.random.default_rng([seed, iteration, stream])


def iteration_torch_generator(seed: int, iteration: int, stream: int = 0, device: torch.device | str = "cpu"
                              ) -> torch.Generator:
    """A torch generator on ``device`` that depends only on ``(seed, iteration, stream)``."""
    g = torch.Generator(device=device)
    g.manual_seed(int(iteration_rng(seed, iteration, stream).integers(2**62)))
    return g


def batch_indices(rng: np.random.Generator, n: int, batch_size: int) -> np.ndarray:
    """A minibatch: ``min(batch_size, n)`` distinct indices into ``n`` items, drawn from ``rng``."""
    return rng.choice(n, size=min(batch_size, n), replace=False)
