import numpy as np
import pytest

from art_initiative.metrics import lbp_maps


def test_lbp_of_flat_image_is_uniform_and_texture_is_not(rng):
    flat = np.zeros((1, 3, 16, 16), np.float32)
    assert np.unique(lbp_maps(flat)[:, 1:-1, 1:-1]).size == 1  # borders see the zero padding
    noisy = rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    maps = lbp_maps(noisy)
    assert maps.shape == (1, 16, 16) and 0 <= maps.min() and maps.max() == 1
    assert np.unique(maps).size > 5


def test_lbp_rejects_two_channels():
    with pytest.raises(ValueError, match="1 or 3 channels"):
        lbp_maps(np.zeros((1, 2, 8, 8), np.float32))
