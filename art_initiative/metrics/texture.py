"""Local binary pattern (LBP) texture maps, used by the paper's figures to show texture damage."""

from __future__ import annotations

import numpy as np
from skimage.feature import local_binary_pattern

from art_initiative.utils.validation import check_images


def lbp_maps(x: np.ndarray, points: int = 8, radius: float = 1.0, method: str = "uniform") -> np.ndarray:
    """LBP map of each image's luminance, scaled to [0, 1], shape (N, H, W).

    :param x: NCHW images in [-1, 1] (RGB or grey).
    :param points: number of circular neighbours.
    :param radius: radius of the circle.
    :param method: scikit-image LBP method (``"uniform"``, ``"default"``, ``"ror"``, ``"var"``...).
    """
    x = check_images(x, name="x", channels=None)
    if x.shape[1] not in (1, 3):
        raise ValueError(f"x must have 1 or 3 channels, got shape {x.shape}.")
    grey = x[:, 0] if x.shape[1] == 1 else 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    grey_u8 = np.round((grey + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
    maps = np.stack([local_binary_pattern(g, points, radius, method=method) for g in grey_u8])
    top = maps.max()
    return (maps / top if top > 0 else maps).astype(np.float32)
