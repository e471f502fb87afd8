"""Reading and writing images as NCHW float32 arrays in [-1, 1]."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def to_uint8_hwc(x: np.ndarray) -> np.ndarray:
    """One CHW image in [-1, 1] to HWC uint8."""
    return np.round((np.clip(x, -1.0, 1.0).transpose(1, 2, 0) + 1.0) * 127.5).astype(np.uint8)


def from_uint8_hwc(img: np.ndarray) -> np.ndarray:
    """HWC uint8 (RGB) to CHW float32 in [-1, 1]."""
    return (img.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1).copy()


def centre_crop_resize(img: Image.Image, image_size: int, crop: int | None = None) -> Image.Image:
    """Centre-crop to a square of side ``crop`` (the shorter side when None), then resize to ``image_size``."""
    w, h = img.size
    side = min(w, h) if crop is None else min(crop, w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return img.crop((left, top, left + side, top + side)).resize((image_size, image_size), Image.BICUBIC)


def read_image(path: str | os.PathLike, image_size: int | None = None, crop: int | None = None) -> np.ndarray:
    """Read an RGB image file as CHW float32 in [-1, 1].

    :param image_size: when given, centre-crop to a square (side ``crop`` or the shorter side) and resize.
    :raises FileNotFoundError: the file does not exist.
    :raises ValueError: the file is not a readable image.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image file not found: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            img = im.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"{path} is not a readable image file ({err}).") from err
    if image_size is not None:
        img = centre_crop_resize(img, image_size, crop)
    return from_uint8_hwc(np.asarray(img))


def write_image(path: str | os.PathLike, x: np.ndarray, overwrite: bool = False) -> None:
    """Write one CHW image in [-1, 1] as a PNG (atomically; refuses to overwrite unless asked)."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"refusing to overwrite existing file {path}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.png"
    Image.fromarray(to_uint8_hwc(x)).save(tmp, format="PNG")
    os.replace(tmp, path)
