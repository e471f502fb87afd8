"""U-Nets: the pix2pix generator (``unet128``, ``unet256``)."""

from __future__ import annotations

import torch
from torch import nn

from art_initiative.models.layers import condition_maps

NORMS = ("batch", "instance")


def _norm(kind: str, channels: int) -> nn.Module:
    """pix2pix's ``get_norm_layer``: BatchNorm (affine, running statistics) or InstanceNorm (no affine, always the
    statistics of the image itself)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class _SkipBlock(nn.Module):
    """One level of the pix2pix U-Net: down conv, inner block, up conv, concatenated with the input."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None, outermost: bool = False,
                 in_channels: int | None = None, out_channels: int | None = None, dropout: bool = False,
                 norm: str = "batch") -> None:
        super().__init__()
        self.outermost = outermost
        in_ch = in_channels if in_channels is not None else outer
        bias = norm == "instance"  # pix2pix: convolutions before a BatchNorm have no bias
        down = [nn.LeakyReLU(0.2, True), nn.Conv2d(in_ch, inner, 4, 2, 1, bias=bias)]
        up_in = inner if sub is None else inner * 2
        if outermost:
            down = down[1:]
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, out_channels or outer, 4, 2, 1), nn.Tanh()]
        elif sub is None:  # innermost
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=bias), _norm(norm, outer)]
        else:
            down = down + [_norm(norm, inner)]
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=bias), _norm(norm, outer)]
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

    :param norm: ``"batch"`` (pix2pix's default; the reenactment forgers) or ``"instance"`` (the paper's public
        code builds its StarGAN-like ``unet_128`` target this way; the attribute-editing forgers).
    """

    def __init__(self, levels: int = 7, width: int = 64, c_dim: int = 0, in_channels: int = 3,
                 out_channels: int = 3, dropout: bool = False, norm: str = "batch") -> None:
        super().__init__()
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels!r}.")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")
        self.c_dim = c_dim
        chans = [min(width * 2**i, width * 8) for i in range(levels)]
        block: nn.Module | None = None
        for i in range(levels - 1, 0, -1):
            block = _SkipBlock(chans[i - 1], chans[i], block, dropout=dropout and i >= levels - 3 and i < levels - 1,
                               norm=norm)
        self.model = _SkipBlock(out_channels, chans[0], block, outermost=True,
                                in_channels=in_channels + c_dim, out_channels=out_channels, norm=norm)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(condition_maps(x, c))
