"""What happens to a photo online before a forger sees it: JPEG recompression, Gaussian blur, downscale-then-
upscale, a crop that lands a few pixels off, and the round trip of a protected full-size photo (the
perturbation's blocks upscaled to the photo, the forger's crop downscaled back).

Every transform acts on NCHW images in [-1, 1] and keeps their shape. :func:`apply_transform` is the evaluation
side (numpy in, numpy out; JPEG through a real codec, Pillow's); :func:`differentiable_transform` is the training
side (torch in, torch out, with a gradient: kornia's differentiable JPEG, blur, resize and translation), used by
the robust defence's expectation over transformations (:mod:`art_initiative.preprocessing.eot`).
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image

TRANSFORMS = ("jpeg", "blur", "resize", "shift", "photo")


def check_transform(name: str, param: float | int) -> float | int:
    """Validate one transform's parameter and return it: ``jpeg`` a quality int in 1..100, ``blur`` a sigma >= 0
    (0: unchanged), ``resize`` a scale in (0, 1], ``shift`` a whole number of pixels >= 0, ``photo`` the photo's
    upscale factor >= 1 (1: unchanged).

    :raises ValueError: an unknown transform, or its parameter out of range (the message names both).
    """
    if name not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {name!r}.")
    if isinstance(param, bool) or not isinstance(param, (int, float, np.integer, np.floating)) or \
            not math.isfinite(float(param)):
        raise ValueError(f"{name}'s parameter must be a finite number, got {param!r}.")
    if name == "jpeg":
        if float(param) != int(param) or not 1 <= int(param) <= 100:
            raise ValueError(f"jpeg quality must be an int in 1..100, got {param!r}.")
        return int(param)
    if name == "blur":
        if param < 0:
            raise ValueError(f"blur sigma must be >= 0, got {param!r}.")
        return float(param)
    if name == "resize":
        if not 0 < param <= 1:
            raise ValueError(f"resize scale must lie in (0, 1], got {param!r}.")
        return float(param)
    if name == "photo":
        if param < 1:
            raise ValueError(f"photo upscale factor must be >= 1, got {param!r}.")
        return float(param)
    if float(param) != int(param) or param < 0:
        raise ValueError(f"shift must be a whole number of pixels >= 0, got {param!r}.")
    return int(param)


def blur_kernel_size(sigma: float) -> int:
    """The odd kernel size that holds +-3 sigma of a Gaussian (at least 3)."""
    return max(3, 2 * math.ceil(3 * sigma) + 1)


def gaussian_blur(x: torch.Tensor, sigma: float, size: int | None = None) -> torch.Tensor:
    """Blur NCHW images with a Gaussian of ``sigma`` (kornia; reflect padding, replicate where the image is
    smaller than the padding); differentiable.

    :param size: the kernel's size (odd; default :func:`blur_kernel_size`).
    """
    from kornia.filters import gaussian_blur2d

    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}.")
    size = blur_kernel_size(sigma) if size is None else size
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd int, got {size!r}.")
    border = "reflect" if min(x.shape[-2:]) > size // 2 else "replicate"
    return gaussian_blur2d(x, (size, size), (float(sigma), float(sigma)), border_type=border)


def rescale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Downscale by ``scale`` (antialiased bilinear) and back up to the original size (bilinear); differentiable."""
    from kornia.geometry.transform import resize

    h, w = x.shape[-2:]
    small = (max(1, round(h * scale)), max(1, round(w * scale)))
    if small == (h, w):
        return x
    return resize(resize(x, small, antialias=True), (h, w))


def shift(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """Translate by ``pixels`` down and right (a crop that lands that far off; the edge is repeated)."""
    from kornia.geometry.transform import translate

    if pixels == 0:
        return x
    t = torch.tensor([[float(pixels), float(pixels)]], device=x.device, dtype=x.dtype).expand(x.shape[0], 2)
    return translate(x, t, mode="nearest", padding_mode="border")


def photo_roundtrip(x: torch.Tensor, factor: float) -> torch.Tensor:
    """A protected photo's trip to the forger: upscale by ``factor`` with nearest-neighbour blocks (as
    :class:`~art_initiative.defences.photo.PhotoProtector` resizes PG's perturbation to the face crop), then the
    forger's antialiased bicubic downscale of its crop back to the working size (Pillow's ``BICUBIC``, which torch's
    ``antialias=True`` matches); differentiable. The non-integer factors put the block edges off the pixel grid."""
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    big = (max(h, round(h * factor)), max(w, round(w * factor)))
    if big == (h, w):
        return x
    up = F.interpolate(x, size=big, mode="nearest")
    return F.interpolate(up, size=(h, w), mode="bicubic", align_corners=False, antialias=True)


def jpeg_differentiable(x: torch.Tensor, quality: float) -> torch.Tensor:
    """JPEG compression at ``quality`` with a gradient (kornia's differentiable codec, 4:2:0 chroma as Pillow);
    images in [-1, 1]."""
    from kornia.enhance import jpeg_codec_differentiable

    q = torch.tensor([float(quality)], device=x.device, dtype=x.dtype)
    return jpeg_codec_differentiable((x + 1) / 2, q) * 2 - 1


def jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    """Real JPEG recompression (Pillow, 8-bit, 4:2:0 chroma) of NCHW images in [-1, 1], as an upload site does."""
    from art_initiative.data.io import from_uint8_hwc, to_uint8_hwc

    out = np.empty_like(x, dtype=np.float32)
    for i, img in enumerate(x):
        buf = io.BytesIO()
        Image.fromarray(to_uint8_hwc(img)).save(buf, format="JPEG", quality=int(quality))
        buf.seek(0)
        with Image.open(buf) as decoded:
            out[i] = from_uint8_hwc(np.asarray(decoded.convert("RGB")))
    return out


def differentiable_transform(x: torch.Tensor, name: str, param: float | int) -> torch.Tensor:
    """``name`` (a :data:`TRANSFORMS` name) at ``param`` with a gradient w.r.t. ``x``, clipped to [-1, 1]."""
    param = check_transform(name, param)
    if name == "jpeg":
        y = jpeg_differentiable(x, param)
    elif name == "blur":
        y = x if param == 0 else gaussian_blur(x, param)
    elif name == "resize":
        y = rescale(x, param)
    elif name == "photo":
        y = photo_roundtrip(x, param)
    else:
        y = shift(x, param)
    return y.clamp(-1.0, 1.0)


def apply_transform(x: np.ndarray, name: str, param: float | int, batch_size: int = 256) -> np.ndarray:
    """``name`` at ``param`` on NCHW images in [-1, 1] (float32 numpy in and out; JPEG by the real codec).

    :raises ValueError: bad images, an unknown transform or a parameter out of range.
    """
    from art_initiative.utils.validation import check_images

    param = check_transform(name, param)
    x = check_images(x, "x", channels=3 if name == "jpeg" else None)
    if name == "jpeg":
        return jpeg(x, param)
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append(differentiable_transform(torch.from_numpy(x[i:i + batch_size]), name, param).numpy())
    return np.concatenate(out).astype(np.float32, copy=False)
