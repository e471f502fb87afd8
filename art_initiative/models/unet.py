"""U-Nets: the pix2pix generator (``unet128``, ``unet256``) and the paper's perturbation generator (``pg_unet``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from art_initiative.models.layers import condition_maps


class _SkipBlock(nn.Module):
    """One level of the pix2pix U-Net: down conv, inner block, up conv, concatenated with the input."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None, outermost: bool = False,
                 in_channels: int | None = None, out_channels: int | None = None, dropout: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        in_ch = in_channels if in_channels is not None else outer
        down = [nn.LeakyReLU(0.2, True), nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)]
        up_in = inner if sub is None else inner * 2
        if outermost:
            down = down[1:]
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, out_channels or outer, 4, 2, 1), nn.Tanh()]
        elif sub is None:  # innermost
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
        else:
            down = down + [nn.BatchNorm2d(inner)]
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
            if dropout:
                up.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*down, *([sub] if sub is not None else []), *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], dim=1)


class UNetGenerator(nn.Module):
    """pix2pix U-Net generator with ``levels`` stride-2 levels (7 for ``unet128``, 8 for ``unet256``).

    Channels double from ``width`` up to ``8 * width`` and stay there, as in pix2pix. A conditional form
    (``c_dim > 0``) concatenates the condition maps to the input.
    """

    def __init__(self, levels: int = 7, width: int = 64, c_dim: int = 0, in_channels: int = 3,
                 out_channels: int = 3, dropout: bool = False) -> None:
        super().__init__()
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels!r}.")
        self.c_dim = c_dim
        chans = [min(width * 2**i, width * 8) for i in range(levels)]
        block: nn.Module | None = None
        for i in range(levels - 1, 0, -1):
            block = _SkipBlock(chans[i - 1], chans[i], block, dropout=dropout and i >= levels - 3 and i < levels - 1)
        self.model = _SkipBlock(out_channels, chans[0], block, outermost=True,
                                in_channels=in_channels + c_dim, out_channels=out_channels)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(condition_maps(x, c))


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
    """

    def __init__(self, levels: int = 5, width: int = 64, in_channels: int = 3) -> None:
        super().__init__()
        if levels < 1:
            raise ValueError(f"levels must be >= 1, got {levels!r}.")
        chans = [width * 2**i for i in range(levels)]
        self.down = nn.ModuleList([_double_conv(in_channels, chans[0])]
                                  + [_double_conv(chans[i - 1], chans[i]) for i in range(1, levels)])
        self.up = nn.ModuleList([_double_conv(chans[i] + chans[i - 1], chans[i - 1]) for i in range(levels - 1, 0, -1)])
        self.head = nn.Sequential(nn.Conv2d(chans[0], in_channels, 1), nn.BatchNorm2d(in_channels), nn.Tanh())

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
        return self.head(h)
