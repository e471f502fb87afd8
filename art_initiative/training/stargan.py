"""The forger's StarGAN recipe: WGAN-GP + attribute classification + cycle reconstruction, n_critic 5."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import GENERATOR_NAMES, build_model
from art_initiative.models.unet import NORMS as UNET_NORMS
from art_initiative.training import distributed
from art_initiative.training.distributed import autocast, optimizer_step, shard, to_layout
from art_initiative.training.loop import resolve_device, run_training
from art_initiative.training.losses import attribute_loss, gradient_penalty
from art_initiative.training.recipe import for_training, gan_adam, load_generator
from art_initiative.utils.checkpoint import load_checkpoint, restore
from art_initiative.utils.seeding import batch_indices, iteration_rng, iteration_torch_generator
from art_initiative.utils.validation import check_images, check_positive_int

STARGAN_UNET_NORM = "instance"  # how train_stargan builds a U-Net by default: the paper's code's unet_128 target


@dataclass
class StarGANConfig:
    """Settings of :func:`train_stargan` (StarGAN's CelebA defaults, plus ``lambda_id``)."""

    arch: str = "res6"
    image_size: int = 128
    width: int = 64
    disc_width: int = 64
    c_dim: int = 5
    iterations: int = 200_000
    batch_size: int = 16
    g_lr: float = 1e-4
    d_lr: float = 1e-4
    n_critic: int = 5
    lambda_cls: float = 1.0
    lambda_rec: float = 10.0
    lambda_gp: float = 10.0
    lambda_id: float = 0.0   # identity term L1(G(x, c_org), x); 0 in StarGAN, helps small synthetic runs
    seed: int = 0
    unet_norm: str = "batch"  # the U-Nets' normalisation (train_stargan builds them with "instance", as the
    #                           paper's code does; checkpoints written before the setting hold BatchNorm U-Nets)


def random_target_labels(labels: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """StarGAN's target domains for training: the labels of the batch in a random order."""
    return labels[torch.as_tensor(rng.permutation(labels.shape[0]), device=labels.device)]


def uses_batch_statistics(module: torch.nn.Module) -> bool:
    """Whether ``module`` normalises with batch statistics (BatchNorm), so that batching two calls into one
    would change its outputs."""
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules())


def stargan_discriminator_loss(G: torch.nn.Module, D: torch.nn.Module, x: torch.Tensor, c_org: torch.Tensor,
                               c_trg: torch.Tensor, cfg: StarGANConfig, generator: torch.Generator | None = None
                               ) -> tuple[torch.Tensor, dict[str, float]]:
    """D's loss: -D_src(x) + D_src(G(x, c_trg)) + lambda_cls * BCE(D_cls(x), c_org) + lambda_gp * GP."""
    with torch.no_grad():
        fake = G(x, c_trg)
    if uses_batch_statistics(D):
        (src_real, cls_real), (src_fake, _) = D(x), D(fake)
    else:  # one pass over real and fake together: the same loss, about 20% faster on a CPU
        src, cls_all = D(torch.cat([x, fake]))
        src_real, src_fake, cls_real = src[: len(x)], src[len(x):], cls_all[: len(x)]
    real, fake_term = -src_real.mean(), src_fake.mean()
    cls = attribute_loss(cls_real, c_org)
    gp = gradient_penalty(lambda h: D(h)[0], x, fake, generator)
    loss = real + fake_term + cfg.lambda_cls * cls + cfg.lambda_gp * gp
    return loss, {"d_real": real.item(), "d_fake": fake_term.item(), "d_cls": cls.item(), "d_gp": gp.item()}


def stargan_generator_loss(G: torch.nn.Module, D: torch.nn.Module, x: torch.Tensor, c_org: torch.Tensor,
                           c_trg: torch.Tensor, cfg: StarGANConfig) -> tuple[torch.Tensor, dict[str, float]]:
    """G's loss: -D_src(G(x, c_trg)) + lambda_cls * BCE(D_cls(G(x, c_trg)), c_trg) + lambda_rec * cycle L1."""
    fake = G(x, c_trg)
    src_fake, cls_fake = D(fake)
    adv = -src_fake.mean()
    cls = attribute_loss(cls_fake, c_trg)
    rec = (G(fake, c_org) - x).abs().mean()
    loss = adv + cfg.lambda_cls * cls + cfg.lambda_rec * rec
    parts = {"g_fake": adv.item(), "g_cls": cls.item(), "g_rec": rec.item()}
    if cfg.lambda_id > 0:
        ident = (G(x, c_org) - x).abs().mean()
        loss = loss + cfg.lambda_id * ident
        parts["g_id"] = ident.item()
    return loss, parts


def build_stargan(cfg: StarGANConfig) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The generator (``cfg.arch``, conditional on ``c_dim`` attributes) and StarGAN's discriminator."""
    norm = {"norm": cfg.unet_norm} if cfg.arch.startswith("unet") else {}
    G = build_model(cfg.arch, image_size=cfg.image_size, width=cfg.width, c_dim=cfg.c_dim, **norm)
    D = build_model("stargan_disc", image_size=cfg.image_size, width=cfg.disc_width, c_dim=cfg.c_dim)
    return G, D


def train_stargan(x: np.ndarray, labels: np.ndarray, arch: str = "res6", width: int = 64,
                  disc_width: int | None = None, iterations: int = 200_000, batch_size: int = 16,
                  g_lr: float = 1e-4, d_lr: float = 1e-4, n_critic: int = 5, lambda_cls: float = 1.0,
                  lambda_rec: float = 10.0, lambda_gp: float = 10.0, lambda_id: float = 0.0, seed: int = 0,
                  init_from: str | os.PathLike | None = None,
                  device_type: str = "gpu", checkpoint_path: str | os.PathLike | None = None,
                  checkpoint_every: int = 1000, resume: bool = True, verbose: bool = True,
                  callback: Callable[[int, dict[str, float]], None] | None = None, precision: str = "fp32",
                  channels_last: bool = False, unet_norm: str | None = None) -> PyTorchImageTranslator:
    """Train a StarGAN-style attribute editor ``G(x, c)`` on images with multi-hot attribute labels.

    Each iteration takes one discriminator step; every ``n_critic``-th also takes one generator step. Target
    domains are the batch's labels in a random order, as in StarGAN. Randomness depends only on ``(seed,
    iteration)``, so a run resumed from a checkpoint repeats an uninterrupted one.

    :param x: training images (N, 3, H, W) in [-1, 1], H = W a power of two.
    :param labels: their attributes (N, c_dim), 0/1.
    :param arch: generator architecture, one of ``res6``, ``res9``, ``cnet``, ``unet128``, ``unet256``.
    :param init_from: fine-tune: a :func:`train_stargan` checkpoint (for example a public model) whose generator and
        discriminator weights start the run, with fresh optimizers; its architecture, sizes and attributes must be
        these. ``iterations`` then counts the fine-tuning iterations.
    :param checkpoint_path: ``.pt`` file written every ``checkpoint_every`` iterations and at the end;
        with ``resume`` an existing one (same config) is continued.
    :param callback: called as ``callback(iteration, losses)`` after every iteration.
    :param precision: ``"fp32"`` (the reference) or ``"bf16"`` (autocast of the forward passes and losses; the
        gradient penalty stays fp32).
    :param channels_last: channels-last memory layout of weights and batches (faster convolutions on GPUs).
    :param unet_norm: the normalisation of a U-Net generator, ``"instance"`` (the default: the paper's public code
        builds its ``unet_128`` target with pix2pix's InstanceNorm, no affine, which like StarGAN's own always
        normalises with the image's statistics) or ``"batch"`` (pix2pix's default; applied with running
        statistics in eval mode). Other architectures ignore it.
    :return: the trained generator wrapped as a :class:`PyTorchImageTranslator` (eval mode).

    Under ``torchrun --nproc_per_node=N`` the ranks split each batch of ``batch_size`` images (which must divide
    by N) and average their gradients (:mod:`~art_initiative.training.distributed`).
    """
    x = check_images(x, name="x")
    labels = np.asarray(labels, dtype=np.float32)
    if labels.ndim != 2 or labels.shape[0] != x.shape[0] or labels.shape[1] < 1:
        raise ValueError(f"labels must have shape ({x.shape[0]}, c_dim >= 1), got {labels.shape}.")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0/1 multi-hot attributes.")
    if arch not in GENERATOR_NAMES:
        raise ValueError(f"arch must be one of {GENERATOR_NAMES}, got {arch!r}.")
    if x.shape[2] != x.shape[3]:
        raise ValueError(f"x must hold square images, got shape {x.shape}.")
    check_positive_int(iterations, "iterations")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(n_critic, "n_critic")
    if unet_norm not in (None, *UNET_NORMS):
        raise ValueError(f"unet_norm must be one of {UNET_NORMS} (or None: 'instance'), got {unet_norm!r}.")
    unet_norm = (unet_norm or STARGAN_UNET_NORM) if arch.startswith("unet") else StarGANConfig.unet_norm
    distributed.check_precision(precision)
    device = resolve_device(device_type)
    distributed.check_batch_split(batch_size, len(x))
    cfg = StarGANConfig(arch=arch, image_size=x.shape[2], width=width, disc_width=disc_width or width,
                        c_dim=labels.shape[1], iterations=iterations, batch_size=batch_size, g_lr=g_lr, d_lr=d_lr,
                        n_critic=n_critic, lambda_cls=lambda_cls, lambda_rec=lambda_rec, lambda_gp=lambda_gp,
                        lambda_id=lambda_id, seed=seed, unet_norm=unet_norm)
    torch.manual_seed(seed)
    G, D = build_stargan(cfg)
    provenance: dict[str, str] = {}
    if init_from is not None:
        start = load_checkpoint(init_from)
        stored = {"unet_norm": StarGANConfig.unet_norm, **start["config"]}  # a checkpoint of before: BatchNorm
        theirs = {k: stored.get(k) for k in ("arch", "image_size", "width", "disc_width", "c_dim", "unet_norm")}
        ours = {k: getattr(cfg, k) for k in theirs}
        if theirs != ours:
            raise ValueError(f"init_from {os.fspath(init_from)} holds a StarGAN with {theirs}, this run needs {ours}.")
        restore(start, {"G": G, "D": D})
        provenance["init_from"] = os.fspath(init_from)  # recorded in every checkpoint's state
    for_training((G, D), device, channels_last)
    opt_g, opt_d = gan_adam(G, cfg.g_lr, foreach=True), gan_adam(D, cfg.d_lr, foreach=True)
    x_all, y_all = torch.from_numpy(x), torch.from_numpy(labels)

    def step(it: int) -> dict[str, float]:
        rng = iteration_rng(cfg.seed, it)
        idx = torch.as_tensor(shard(batch_indices(rng, len(x_all), cfg.batch_size)))
        xb, c_org = to_layout(x_all[idx].to(device), channels_last), y_all[idx].to(device)
        c_trg = random_target_labels(c_org, rng)
        gp_generator = iteration_torch_generator(cfg.seed, it, distributed.rank_stream(1), device)
        with autocast(device, precision):
            d_loss, losses = stargan_discriminator_loss(G, D, xb, c_org, c_trg, cfg, gp_generator)
        optimizer_step(opt_d, d_loss)
        if (it + 1) % cfg.n_critic == 0:
            with autocast(device, precision):
                g_loss, g_parts = stargan_generator_loss(G, D, xb, c_org, c_trg, cfg)
            optimizer_step(opt_g, g_loss)
            losses.update(g_parts)
        return losses

    run_training(f"StarGAN {arch}", cfg, {"G": G, "D": D}, {"G": opt_g, "D": opt_d}, step, cfg.iterations,
                 checkpoint_path, checkpoint_every, resume, verbose, callback, extra_state=provenance)
    G.eval()
    return PyTorchImageTranslator(G, input_shape=tuple(x.shape[1:]), c_dim=cfg.c_dim, device_type=device_type)


def load_stargan(path: str | os.PathLike, device_type: str = "gpu") -> PyTorchImageTranslator:
    """Rebuild a trained StarGAN generator from a :func:`train_stargan` checkpoint."""
    return load_generator(path, StarGANConfig, build_stargan, lambda cfg: cfg.c_dim, device_type)
