"""The benchmark's noise controls: the per-image sign noise and the universal (shared) sign pattern."""

import numpy as np

from art_initiative.benchmark.common import sign_noise, universal_sign_noise


def _frames(n: int = 6) -> np.ndarray:
    return np.random.default_rng(1).uniform(-0.9, 0.9, (n, 3, 8, 8)).astype(np.float32)


def test_universal_sign_noise_moves_every_pixel_by_eps_with_one_pattern_for_all_images():
    x = _frames()
    delta = universal_sign_noise(x, 0.05, seed=3) - x
    assert delta.dtype == np.float32 and delta.shape == x.shape
    np.testing.assert_allclose(np.abs(delta), 0.05, atol=1e-6)
    assert all(np.array_equal(np.sign(delta[0]), np.sign(d)) for d in delta[1:])  # one pattern, every frame
    assert 0.3 < (delta[0] > 0).mean() < 0.7  # a random pattern, not a constant shift
    assert not np.array_equal(np.sign(universal_sign_noise(x, 0.05, seed=4) - x), np.sign(delta))


def test_per_image_sign_noise_differs_between_images_and_both_stay_in_range():
    x = np.concatenate([_frames(), np.full((2, 3, 8, 8), 0.99, np.float32)])
    per_image = sign_noise(x, 0.05, seed=3) - x
    assert not np.array_equal(np.sign(per_image[0]), np.sign(per_image[1]))
    for out in (sign_noise(x, 0.05, seed=3), universal_sign_noise(x, 0.05, seed=3)):
        assert out.min() >= -1.0 and out.max() <= 1.0
