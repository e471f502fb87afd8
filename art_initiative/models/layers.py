"""Small building blocks shared by the networks of :mod:`art_initiative.models`."""

from __future__ import annotations

import math

import torch
from torch import nn


def condition_maps(x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
    """Concatenate the target attributes ``c`` (N, c_dim) to ``x`` as constant feature maps (StarGAN style)."""
    if c is None or c.shape[1] == 0:
        return x
    maps = c.to(x.dtype).view(c.shape[0], c.shape[1], 1, 1).expand(-1, -1, x.shape[2], x.shape[3])
    return torch.cat([x, maps], dim=1)


def max_downsamplings(image_size: int) -> int:
    """Number of stride-2 reductions that take ``image_size`` down to 1 pixel."""
    if image_size < 2 or image_size & (image_size - 1):
        raise ValueError(f"image_size must be a power of two >= 2, got {image_size!r}.")
    return int(math.log2(image_size))


def instance_norm(channels: int) -> nn.InstanceNorm2d:
    """Affine InstanceNorm that always normalises with the statistics of the instance itself.

    StarGAN's code declares ``track_running_stats=True`` but never calls ``eval()``, so its generators always
    use per-instance statistics. Not tracking running statistics gives that behaviour in both modes, so
    ``eval()`` (which ART estimators call before predicting) cannot silently change the forger's outputs.
    """
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with InstanceNorm and an identity shortcut (StarGAN)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            instance_norm(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            instance_norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)
