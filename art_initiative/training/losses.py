"""GAN losses shared by the forger's training recipes (StarGAN, pix2pix) and the defence's critic."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from art_initiative.training.distributed import no_autocast


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017; the paper's eq. 5): E[(||grad critic(x_hat)||_2 - 1)^2].

    ``x_hat`` is a random interpolation between ``real`` and ``fake`` (detached). Computed in fp32 even inside a
    bf16 autocast region: its double-backward gradient norm is what the precision would hurt.
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, generator=generator)
    x_hat = (alpha * real.detach().float() + (1 - alpha) * fake.detach().float()).requires_grad_(True)
    with no_autocast(real.device):
        score = critic(x_hat)
        grad = torch.autograd.grad(score.float().sum(), x_hat, create_graph=True)[0]
        return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def attribute_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """StarGAN's domain classification loss: BCE with logits summed over attributes, averaged over the batch."""
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / logits.shape[0]


def gan_bce_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """pix2pix's vanilla GAN loss on PatchGAN logits."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))
