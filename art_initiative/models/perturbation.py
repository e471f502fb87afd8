"""The paper's perturbation generator PG (``pg_unet``), its protection ``x' = clip(x + eps * PG(x))``, and the
shared pattern of a video's frames (:func:`shared_pattern`)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def protect(pg: torch.nn.Module, x: torch.Tensor, eps: float, clip_values: tuple[float, float],
            saturate: bool = False) -> torch.Tensor:
    """The protection of the paper: ``clip(x + eps * PG(x), clip_min, clip_max)``.

    ``|x' - x| <= eps`` because PG ends in tanh. The sum is taken in fp32 also when PG runs under bf16 autocast,
    so that the protected pixels keep full precision.

    :param saturate: ``clip(x + eps * sign(PG(x)))`` instead: PG's direction at the full budget, as FGSM takes a
        gradient's (not the paper). Gradients pass through the sign as through the identity (straight-through).
    """
    delta = pg(x).float()
    if saturate:
        delta = delta + (torch.sign(delta) - delta).detach()
    return torch.clamp(x + eps * delta, clip_values[0], clip_values[1])


def shared_pattern(x: np.ndarray, protected: np.ndarray, eps: float,
                   clip_values: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """One pattern for every frame of a video: the sign of the mean perturbation ``protected - x`` over the
    frames (a zero mean counts as +), at the full budget, ``clip(x + eps * s)``.

    A forger trained on the frames learns what is the same in all of them and copies it into its forgeries,
    where a per-frame perturbation it cannot predict from the sketch is averaged away (measured on the
    reenactment benchmark, ``initiative_universal``: docs/results.rst).

    :param x: the clean frames (N, C, H, W).
    :param protected: the same frames protected frame by frame (for example by PG), same shape.
    :param eps: the L-inf budget of the pattern.
    :return: float32 frames within ``eps`` of ``x``.
    """
    if protected.shape != x.shape:
        raise ValueError(f"protected must have the frames' shape {x.shape}, got {protected.shape}.")
    s = np.sign((protected.astype(np.float32) - x.astype(np.float32)).mean(axis=0))
    s[s == 0] = 1.0
    return np.clip(x + eps * s[None], clip_values[0], clip_values[1]).astype(np.float32)


def _double_conv(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, 1, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
    )


class PerturbationUNet(nn.Module):
    """The paper's perturbation generator PG: ``delta = PG(x)`` with ``|delta| <= 1``.

    ``levels`` levels of widths ``width * 2**i`` (5 levels 64-128-256-512-1024 in the paper's code), two
    (3x3 conv, BatchNorm, ReLU) per level, average-pool down, bilinear up with skip concatenation, a 1x1 conv
    to 3 channels, BatchNorm and tanh. Call ``eval()`` before applying it.

    :param pattern_size: if given (the image size), a learned pattern, one value per pixel and channel, is added
        before the tanh: a universal perturbation for every input, so that the U-Net can spend its capacity on the
        part that depends on the face (not the paper's; ``InitiativeConfig.pg_pattern``).
    """

    def __init__(self, levels: int = 5, width: int = 64, in_channels: int = 3, pattern_size: int | None = None
                 ) -> None:
        super().__init__()
        if levels < 1:
            raise ValueError(f"levels must be >= 1, got {levels!r}.")
        chans = [width * 2**i for i in range(levels)]
        self.down = nn.ModuleList([_double_conv(in_channels, chans[0])]
                                  + [_double_conv(chans[i - 1], chans[i]) for i in range(1, levels)])
        self.up = nn.ModuleList([_double_conv(chans[i] + chans[i - 1], chans[i - 1]) for i in range(levels - 1, 0, -1)])
        self.head = nn.Sequential(nn.Conv2d(chans[0], in_channels, 1), nn.BatchNorm2d(in_channels))
        self.pattern = None if pattern_size is None else \
            nn.Parameter(torch.zeros(1, in_channels, pattern_size, pattern_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        h = x
        for i, block in enumerate(self.down):
            if i > 0:
                h = F.avg_pool2d(h, 2)
            h = block(h)
            skips.append(h)
        for block, skip in zip(self.up, reversed(skips[:-1]), strict=True):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = block(torch.cat([h, skip], dim=1))
        h = self.head(h)
        return torch.tanh(h if self.pattern is None else h + self.pattern)
