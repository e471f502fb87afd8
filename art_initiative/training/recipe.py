"""The skeleton both forger recipes (StarGAN, pix2pix) and the defence's surrogate share: networks put in training
mode on the device, Adam with the GAN betas (0.5, 0.999), and a checkpoint rebuilt into a translator."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import torch

from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.training.distributed import to_memory_format
from art_initiative.utils.checkpoint import load_checkpoint, restore

GAN_BETAS = (0.5, 0.999)  # Adam's betas in DCGAN, pix2pix, StarGAN and the paper's code


def gan_adam(module: torch.nn.Module, lr: float, foreach: bool | None = None) -> torch.optim.Adam:
    """Adam with the GAN betas for ``module``'s parameters."""
    return torch.optim.Adam(module.parameters(), lr, betas=GAN_BETAS, foreach=foreach)


def for_training(modules: Iterable[torch.nn.Module], device: torch.device, channels_last: bool = False) -> None:
    """Move the networks to ``device`` in training mode (channels-last layout when asked)."""
    modules = list(modules)
    for m in modules:
        m.to(device).train()
    to_memory_format(modules, channels_last)


def load_generator(path: str | os.PathLike, config_type: type, build: Callable[[Any], tuple[torch.nn.Module, ...]],
                   c_dim: Callable[[Any], int], device_type: str = "gpu") -> PyTorchImageTranslator:
    """Rebuild the generator ``G`` of a recipe's checkpoint (its config checked by ``config_type``) as a translator.

    :param build: the recipe's builder, ``build(cfg) -> (G, D)``.
    :param c_dim: the translator's number of conditions for ``cfg`` (0 for an unconditional ``G(z)``).
    """
    stored = load_checkpoint(path)
    cfg = config_type(**stored["config"])
    G, D = build(cfg)
    restore(stored, {"G": G, "D": D})
    G.eval()
    return PyTorchImageTranslator(G, input_shape=(3, cfg.image_size, cfg.image_size), c_dim=c_dim(cfg),
                                  device_type=device_type)
