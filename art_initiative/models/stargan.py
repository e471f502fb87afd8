"""StarGAN generator (``res6``, ``res9``), the plain encoder-decoder (``cnet``) and StarGAN's discriminator."""

from __future__ import annotations

import torch
from torch import nn

from art_initiative.models.layers import ResidualBlock, condition_maps, instance_norm, max_downsamplings


class ResNetGenerator(nn.Module):
    """Encoder-decoder generator ``G(x, c)``: outer conv, stride-2 downs, residual blocks, transposed-conv ups,
    outer conv, tanh; InstanceNorm and ReLU throughout.

    With the defaults it is StarGAN's generator (7x7 outer convs, two downs); ``res6`` and ``res9`` have 6 and 9
    residual blocks. ``cnet``, the plain convolutional encoder-decoder, is the same class with no residual
    blocks, three downs and 5x5 outer convs.

    :param width: channels of the first convolution (64 in the paper).
    :param n_blocks: number of residual blocks at the bottleneck.
    :param c_dim: number of target attributes concatenated to the input as maps; 0 for an unconditional ``G(x)``.
    :param in_channels: image channels.
    :param n_down: number of stride-2 downsamplings (and upsamplings).
    :param outer_kernel: kernel size of the first and last convolutions.
    """

    def __init__(self, width: int = 64, n_blocks: int = 6, c_dim: int = 0, in_channels: int = 3, n_down: int = 2,
                 outer_kernel: int = 7) -> None:
        super().__init__()
        self.c_dim = c_dim
        pad = outer_kernel // 2
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels + c_dim, width, outer_kernel, 1, pad, bias=False),
            instance_norm(width),
            nn.ReLU(inplace=True),
        ]
        ch = width
        for _ in range(n_down):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), instance_norm(ch * 2), nn.ReLU(inplace=True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                instance_norm(ch // 2),
                nn.ReLU(inplace=True),
            ]
            ch //= 2
        layers += [nn.Conv2d(ch, in_channels, outer_kernel, 1, pad, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(condition_maps(x, c))


def conv_encoder_decoder(width: int = 64, c_dim: int = 0, in_channels: int = 3) -> ResNetGenerator:
    """``cnet``: a plain convolutional encoder-decoder (three downs, three ups, no residual blocks, no skips)."""
    return ResNetGenerator(width, n_blocks=0, c_dim=c_dim, in_channels=in_channels, n_down=3, outer_kernel=5)


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
