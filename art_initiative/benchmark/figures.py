"""Image grids written as PNG."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from art_initiative.data.io import to_uint8_hwc


def save_grid(rows: list[np.ndarray], path: str | os.PathLike, scale: int = 3) -> None:
    """Write rows of NCHW [-1, 1] images (all rows the same length) as one PNG, upscaled ``scale`` times."""
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"rows must be a non-empty list of equally long image batches, got {[len(r) for r in rows]}.")
    img = np.concatenate([np.concatenate(list(r), axis=2) for r in rows], axis=1)
    pil = Image.fromarray(to_uint8_hwc(img))
    pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST).save(os.fspath(path))
