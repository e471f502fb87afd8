"""PG's protection and the shared pattern of a video's frames."""

import numpy as np
import pytest

from art_initiative.models import shared_pattern


def _frames(n: int = 6) -> np.ndarray:
    return np.random.default_rng(1).uniform(-0.9, 0.9, (n, 3, 8, 8)).astype(np.float32)


def test_the_shared_pattern_is_the_sign_of_the_mean_perturbation_on_every_frame():
    x = _frames()
    pattern = np.where(np.random.default_rng(2).uniform(size=x.shape[1:]) > 0.5, 1.0, -1.0).astype(np.float32)
    jitter = np.random.default_rng(3).uniform(-0.01, 0.01, x.shape).astype(np.float32)
    protected = x + 0.03 * pattern[None] + jitter  # a per-frame perturbation around a shared direction
    out = shared_pattern(x, protected, 0.05)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out - x, np.broadcast_to(0.05 * pattern, x.shape), atol=1e-6)


def test_the_shared_pattern_stays_in_the_clip_range_and_checks_its_shapes():
    x = np.full((3, 3, 8, 8), 0.99, np.float32)
    out = shared_pattern(x, x + 0.01, 0.05, clip_values=(-1.0, 1.0))
    assert out.max() <= 1.0 and np.allclose(out, 1.0)
    with pytest.raises(ValueError, match="protected must have the frames' shape"):
        shared_pattern(x, x[:2], 0.05)


def test_pg_with_a_learned_pattern_adds_it_before_the_tanh_and_learns_it():
    import torch

    from art_initiative.models import build_model

    torch.manual_seed(0)
    plain = build_model("pg_unet", image_size=16, width=4, levels=2).eval()
    torch.manual_seed(0)
    patterned = build_model("pg_unet", image_size=16, width=4, levels=2, pattern=True).eval()
    assert patterned.pattern.shape == (1, 3, 16, 16) and plain.pattern is None
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(patterned(x), plain(x))  # the pattern starts at zero
    with torch.no_grad():
        patterned.pattern.fill_(0.5)
        pre = torch.atanh(plain(x).clamp(-0.999999, 0.999999))
    torch.testing.assert_close(patterned(x), torch.tanh(pre + 0.5), atol=1e-4, rtol=1e-4)
    patterned(x).sum().backward()
    assert patterned.pattern.grad is not None and patterned.pattern.grad.abs().sum() > 0
