"""An attribute classifier that judges edits independently of the forger (StarGAN's evaluation)."""

from __future__ import annotations

import torch
from torch import nn

from art_initiative.models.layers import max_downsamplings


class AttributeClassifier(nn.Module):
    """A small CNN with multi-label logits: stride-2 (3x3 conv, BatchNorm, ReLU) stages, global average pooling
    and a linear head.

    StarGAN's paper scores its edits with a classifier trained on real images, never with its own
    discriminator; this is that classifier at any image size.

    :param image_size: input side (power of two); the number of stages follows it (down to a 4x4 map, at most 5).
    :param width: channels of the first stage; each stage doubles them.
    :param n_outputs: number of binary attributes.
    """

    def __init__(self, image_size: int = 128, width: int = 32, n_outputs: int = 5, in_channels: int = 3) -> None:
        super().__init__()
        stages = max(1, min(5, max_downsamplings(image_size) - 2))
        layers: list[nn.Module] = []
        ch_in, ch = in_channels, width
        for _ in range(stages):
            layers += [nn.Conv2d(ch_in, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
                       nn.Conv2d(ch, ch, 3, 2, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]
            ch_in, ch = ch, ch * 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(ch_in, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return one logit per attribute, shape (N, n_outputs)."""
        return self.head(self.features(x).mean(dim=(2, 3)))
