"""Differentiable Gaussian blur, for the blur-robust (spread-spectrum) variant of the Ruiz baseline."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_kernel(sigma: float, size: int = 11, device: torch.device | str = "cpu") -> torch.Tensor:
    """Normalised 1-D Gaussian of ``size`` taps (odd)."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"size must be a positive odd int, got {size!r}.")
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}.")
    t = torch.arange(size, dtype=torch.float32, device=device) - size // 2
    k = torch.exp(-(t**2) / (2 * sigma**2))
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float, size: int = 11) -> torch.Tensor:
    """Blur NCHW images with a separable Gaussian (reflect padding); differentiable w.r.t. ``x``."""
    k = gaussian_kernel(sigma, size, x.device).to(x.dtype)
    c = x.shape[1]
    pad = size // 2
    mode_w = "reflect" if x.shape[-1] > pad else "replicate"  # reflect needs more pixels than the padding
    mode_h = "reflect" if x.shape[-2] > pad else "replicate"
    h = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode=mode_w), k.view(1, 1, 1, size).expand(c, 1, 1, size), groups=c)
    h = F.pad(h, (0, 0, pad, pad), mode=mode_h)
    return F.conv2d(h, k.view(1, 1, size, 1).expand(c, 1, size, 1), groups=c)
