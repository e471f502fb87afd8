"""The forger's pix2pix recipe (Face2Face-style reenactment): L1 + conditional PatchGAN."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import GENERATOR_NAMES, build_model
from art_initiative.training import distributed
from art_initiative.training.distributed import autocast, optimizer_step, shard, to_layout
from art_initiative.training.loop import resolve_device, run_training
from art_initiative.training.losses import gan_bce_loss
from art_initiative.training.recipe import for_training, gan_adam, load_generator
from art_initiative.utils.seeding import batch_indices, iteration_rng
from art_initiative.utils.validation import check_images, check_positive_int

#: The deepest PatchGAN ``disc_layers`` takes (5 stride-2 layers: 286 px patches).
MAX_DISC_LAYERS = 5


@dataclass
class Pix2PixConfig:
    """Settings of :func:`train_pix2pix` (pix2pix defaults)."""

    arch: str = "unet256"
    image_size: int = 256
    width: int = 64
    disc_width: int = 64
    iterations: int = 20_000
    batch_size: int = 1
    lr: float = 2e-4
    lambda_l1: float = 100.0
    seed: int = 0
    lr_decay_start: int = 0  # > 0: lr decays linearly to 0 from this iteration to the last (pix2pix's schedule)
    disc_layers: int = 0  # the PatchGAN's stride-2 layers; 0: pix2pix's 3 (70x70 patches), fewer on small images
    dropout: bool = False  # U-Nets only: pix2pix's dropout 0.5 in the inner decoder levels (off in eval mode)


def pix2pix_discriminator_loss(G: torch.nn.Module, D: torch.nn.Module, z: torch.Tensor, y: torch.Tensor
                               ) -> tuple[torch.Tensor, dict[str, float]]:
    """PatchGAN loss on (condition, image) pairs: real pairs -> 1, generated pairs -> 0, halved as in pix2pix."""
    with torch.no_grad():
        fake = G(z)
    real = gan_bce_loss(D(torch.cat([z, y], 1)), True)
    fake_term = gan_bce_loss(D(torch.cat([z, fake], 1)), False)
    loss = 0.5 * (real + fake_term)
    return loss, {"d_real": real.item(), "d_fake": fake_term.item()}


def pix2pix_generator_loss(G: torch.nn.Module, D: torch.nn.Module, z: torch.Tensor, y: torch.Tensor,
                           lambda_l1: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Generator loss: fool the PatchGAN + lambda_l1 * L1(G(z), y)."""
    fake = G(z)
    adv = gan_bce_loss(D(torch.cat([z, fake], 1)), True)
    rec = (fake - y).abs().mean()
    return adv + lambda_l1 * rec, {"g_gan": adv.item(), "g_l1": rec.item()}


def pix2pix_lr(cfg: Pix2PixConfig, iteration: int) -> float:
    """pix2pix's schedule: ``cfg.lr`` until ``cfg.lr_decay_start``, then linearly down to 0 at the last iteration
    (constant when ``lr_decay_start`` is 0)."""
    start = cfg.lr_decay_start
    if start <= 0 or iteration < start:
        return cfg.lr
    return cfg.lr * (cfg.iterations - iteration) / (cfg.iterations - start + 1)


def build_pix2pix(cfg: Pix2PixConfig) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The unconditional generator ``G(z)`` of ``cfg.arch`` and a PatchGAN on 6-channel (z, y) pairs."""
    G = build_model(cfg.arch, image_size=cfg.image_size, width=cfg.width, c_dim=0,
                    **({"dropout": True} if cfg.dropout else {}))
    layers = {"n_layers": cfg.disc_layers} if cfg.disc_layers else {}
    D = build_model("patchgan", image_size=cfg.image_size, width=cfg.disc_width, in_channels=6, **layers)
    return G, D


def train_pix2pix(z: np.ndarray, y: np.ndarray, arch: str = "unet256", width: int = 64,
                  disc_width: int | None = None, iterations: int = 20_000, batch_size: int = 1, lr: float = 2e-4,
                  lambda_l1: float = 100.0, seed: int = 0, device_type: str = "gpu",
                  checkpoint_path: str | os.PathLike | None = None, checkpoint_every: int = 1000,
                  resume: bool = True, verbose: bool = True,
                  callback: Callable[[int, dict[str, float]], None] | None = None, precision: str = "fp32",
                  channels_last: bool = False, lr_decay_start: int = 0, disc_layers: int = 0,
                  dropout: bool = False) -> PyTorchImageTranslator:
    """Train a pix2pix-style model ``y = G(z)`` (e.g. landmark sketch -> face) on paired images.

    :param z: inputs (N, 3, H, W) in [-1, 1] (the forger's guidance, such as landmark sketches).
    :param y: targets (N, 3, H, W) in [-1, 1] (the victim's frames, clean or protected).
    :param arch: one of ``unet256``, ``unet128``, ``res6``, ``res9``, ``cnet`` (Table 2 of the paper).
    :param checkpoint_path: ``.pt`` checkpoint written every ``checkpoint_every`` iterations and at the end;
        with ``resume`` an existing one (same config) is continued.
    :param callback: called as ``callback(iteration, losses)`` after every iteration.
    :param lr_decay_start: pix2pix's schedule: from this iteration the learning rate decays linearly to 0 at the
        last one (0: constant, the default).
    :param disc_layers: the PatchGAN's stride-2 layers, which set its patch: 1, 2, 3 give 16, 34, 70 pixel
        patches. 0 (the default) is pix2pix's 70x70 PatchGAN, made shallower only where the image is too small
        for it (at 32 px it still sees the whole image). pix2pix's patch covers about a quarter of a 256 px
        image; on a 32-64 px image 1 layer is the same share.
    :param dropout: U-Nets only: pix2pix's dropout in the inner decoder levels during training (the returned
        translator is in eval mode, so its outputs are deterministic).
    :param precision: ``"fp32"`` (the reference) or ``"bf16"`` (autocast of the forward passes and losses).
    :param channels_last: channels-last memory layout of weights and batches.
    :return: the trained generator as an unconditional :class:`PyTorchImageTranslator` (eval mode).
    """
    z = check_images(z, name="z")
    y = check_images(y, name="y")
    if z.shape != y.shape:
        raise ValueError(f"z and y must have the same shape, got {z.shape} and {y.shape}.")
    if arch not in GENERATOR_NAMES:
        raise ValueError(f"arch must be one of {GENERATOR_NAMES}, got {arch!r}.")
    check_positive_int(iterations, "iterations")
    check_positive_int(batch_size, "batch_size")
    if isinstance(lr_decay_start, bool) or not isinstance(lr_decay_start, int) or not 0 <= lr_decay_start < iterations:
        raise ValueError(f"lr_decay_start must be an int in [0, iterations), got {lr_decay_start!r}.")
    if dropout and not arch.startswith("unet"):
        raise ValueError(f"dropout applies to the U-Nets (unet128, unet256), got arch {arch!r}.")
    if isinstance(disc_layers, bool) or not isinstance(disc_layers, int) or not 0 <= disc_layers <= MAX_DISC_LAYERS:
        raise ValueError(f"disc_layers must be an int in [0, {MAX_DISC_LAYERS}], got {disc_layers!r}.")
    distributed.check_precision(precision)
    device = resolve_device(device_type)
    distributed.check_batch_split(batch_size, len(z))
    cfg = Pix2PixConfig(arch=arch, image_size=z.shape[2], width=width, disc_width=disc_width or width,
                        iterations=iterations, batch_size=batch_size, lr=lr, lambda_l1=lambda_l1, seed=seed,
                        lr_decay_start=lr_decay_start, disc_layers=disc_layers, dropout=dropout)
    torch.manual_seed(seed)
    G, D = build_pix2pix(cfg)
    for_training((G, D), device, channels_last)
    opt_g, opt_d = gan_adam(G, cfg.lr), gan_adam(D, cfg.lr)
    z_all, y_all = torch.from_numpy(z), torch.from_numpy(y)

    def step(it: int) -> dict[str, float]:
        if cfg.lr_decay_start:
            for group in (*opt_g.param_groups, *opt_d.param_groups):
                group["lr"] = pix2pix_lr(cfg, it)
        rng = iteration_rng(cfg.seed, it)
        idx = torch.as_tensor(shard(batch_indices(rng, len(z_all), cfg.batch_size)))
        zb, yb = (to_layout(a[idx].to(device), channels_last) for a in (z_all, y_all))
        with autocast(device, precision):
            d_loss, losses = pix2pix_discriminator_loss(G, D, zb, yb)
        optimizer_step(opt_d, d_loss)
        with autocast(device, precision):
            g_loss, g_parts = pix2pix_generator_loss(G, D, zb, yb, cfg.lambda_l1)
        optimizer_step(opt_g, g_loss)
        return {**losses, **g_parts}

    run_training(f"pix2pix {arch}", cfg, {"G": G, "D": D}, {"G": opt_g, "D": opt_d}, step, cfg.iterations,
                 checkpoint_path, checkpoint_every, resume, verbose, callback)
    G.eval()
    return PyTorchImageTranslator(G, input_shape=tuple(z.shape[1:]), c_dim=0, device_type=device_type)


def load_pix2pix(path: str | os.PathLike, device_type: str = "gpu") -> PyTorchImageTranslator:
    """Rebuild a trained pix2pix generator from a :func:`train_pix2pix` checkpoint."""
    return load_generator(path, Pix2PixConfig, build_pix2pix, lambda cfg: 0, device_type)
