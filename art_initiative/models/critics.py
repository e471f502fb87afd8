"""Critics: the paper's WGAN-GP critic D_B for the protected images, and the pix2pix PatchGAN."""

from __future__ import annotations

import torch
from torch import nn

from art_initiative.models.layers import max_downsamplings


class WGANCritic(nn.Module):
    """The PG critic D_B of the paper: stride-2 4x4 convs with LeakyReLU(0.01), a 3x3 conv and one dense layer.

    Six stride-2 convolutions plus the 3x3 one make the paper's seven; the depth is capped so that the
    last map is at least 2x2 for small images. No normalisation, as WGAN-GP requires.
    """

    def __init__(self, image_size: int = 128, width: int = 64, depth: int = 6, in_channels: int = 3) -> None:
        super().__init__()
        depth = max(1, min(depth, max_downsamplings(image_size) - 1))
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.01)]
        ch = width
        for _ in range(depth - 1):
            nxt = min(ch * 2, width * 16)
            layers += [nn.Conv2d(ch, nxt, 4, 2, 1), nn.LeakyReLU(0.01)]
            ch = nxt
        layers += [nn.Conv2d(ch, ch, 3, 1, 1), nn.LeakyReLU(0.01)]
        self.features = nn.Sequential(*layers)
        side = image_size // 2**depth
        self.dense = nn.Linear(ch * side * side, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return one score per image, shape (N,)."""
        return self.dense(self.features(x).flatten(1)).squeeze(1)


class PatchGANDiscriminator(nn.Module):
    """pix2pix's 70x70 PatchGAN: ``n_layers`` stride-2 convs with BatchNorm and LeakyReLU(0.2), then two stride-1.

    ``in_channels`` counts the condition image and the output image together (pix2pix concatenates them).
    """

    def __init__(self, in_channels: int = 6, width: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [nn.Conv2d(width * prev, width * mult, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [nn.Conv2d(width * prev, width * mult, 4, 1, 1, bias=False),
                   nn.BatchNorm2d(width * mult), nn.LeakyReLU(0.2, True),
                   nn.Conv2d(width * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
