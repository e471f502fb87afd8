"""StarGAN generator (``res6``, ``res9``), plain encoder-decoder (``cnet``) and StarGAN discriminator."""

from __future__ import annotations

import torch
from torch import nn

from art_initiative.models.layers import ResidualBlock, condition_maps, instance_norm, max_downsamplings


class ResNetGenerator(nn.Module):
    """StarGAN's generator ``G(x, c)``: 7x7 conv, two stride-2 downs, residual blocks, two ups, 7x7 conv, tanh.

    :param width: channels of the first convolution (64 in the paper).
    :param n_blocks: number of residual blocks (6 for ``res6``, 9 for ``res9``; 0 gives ``cnet`` minus its convs).
    :param c_dim: number of target attributes concatenated to the input as maps; 0 for an unconditional ``G(x)``.
    :param in_channels: image channels.
    """

    def __init__(self, width: int = 64, n_blocks: int = 6, c_dim: int = 0, in_channels: int = 3) -> None:
        super().__init__()
        self.c_dim = c_dim
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels + c_dim, width, 7, 1, 3, bias=False),
            instance_norm(width),
            nn.ReLU(inplace=True),
        ]
        ch = width
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), instance_norm(ch * 2), nn.ReLU(inplace=True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                instance_norm(ch // 2),
                nn.ReLU(inplace=True),
            ]
            ch //= 2
        layers += [nn.Conv2d(ch, in_channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(condition_maps(x, c))


class ConvEncoderDecoder(nn.Module):
    """``cnet``: a plain convolutional encoder-decoder (no residual blocks, no skips).

    Three stride-2 downs and three transposed-conv ups with InstanceNorm and ReLU, tanh output.
    """

    def __init__(self, width: int = 64, c_dim: int = 0, in_channels: int = 3, depth: int = 3) -> None:
        super().__init__()
        self.c_dim = c_dim
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels + c_dim, width, 5, 1, 2, bias=False),
            instance_norm(width),
            nn.ReLU(inplace=True),
        ]
        ch = width
        for _ in range(depth):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), instance_norm(ch * 2), nn.ReLU(inplace=True)]
            ch *= 2
        for _ in range(depth):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                instance_norm(ch // 2),
                nn.ReLU(inplace=True),
            ]
            ch //= 2
        layers += [nn.Conv2d(ch, in_channels, 5, 1, 2, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(condition_maps(x, c))


class StarGANDiscriminator(nn.Module):
    """StarGAN's discriminator: stride-2 convs with LeakyReLU(0.01), a source head and an attribute head.

    :param image_size: input size (power of two).
    :param width: channels of the first convolution.
    :param c_dim: number of attributes the classification head predicts.
    :param depth: number of stride-2 convolutions (6 in StarGAN); capped so the last map is at least 2x2.
    """

    def __init__(self, image_size: int = 128, width: int = 64, c_dim: int = 5, depth: int = 6,
                 in_channels: int = 3) -> None:
        super().__init__()
        depth = max(1, min(depth, max_downsamplings(image_size) - 1))
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.01)]
        ch = width
        for _ in range(depth - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1), nn.LeakyReLU(0.01)]
            ch *= 2
        self.main = nn.Sequential(*layers)
        kernel = image_size // 2**depth
        self.src = nn.Conv2d(ch, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(ch, max(c_dim, 1), kernel, 1, 0, bias=False)
        self.c_dim = c_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the patch realness map (N, 1, h, w) and attribute logits (N, c_dim)."""
        h = self.main(x)
        return self.src(h), self.cls(h).view(x.shape[0], -1)[:, : self.c_dim]
