"""Algorithm 1 for face reenactment (data-based manipulation): SM is a pix2pix landmark-to-face model, and the
influence loss of eq. 11 is computed with the infected model M' that a temporary model TM becomes after
training on the protected frames (differentiably, so that the gradient reaches PG).

Each iteration: stage A trains SM on clean (sketch, frame) pairs (pix2pix recipe), the critic D_B of protected
frames takes a WGAN-GP step (eq. 5), then PG takes a step on ``L_PG = L_A->B + lambda L_B`` with eq. 11 and the
facial mask ``m(x)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from torch.func import functional_call

from art_initiative.attacks.initiative.algorithm import (
    DefenceNetworks,
    critic_step,
    critic_term,
    frozen,
    keep_best,
    run_defence,
)
from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.losses import pg_loss, reenactment_influence_loss
from art_initiative.attacks.initiative.unrolled import adam_step_scale, unrolled_update
from art_initiative.models.perturbation import protect
from art_initiative.preprocessing.eot import parse_eot, random_transform
from art_initiative.training import distributed
from art_initiative.training.distributed import autocast, no_autocast, optimizer_step, shard, to_layout
from art_initiative.training.pix2pix import pix2pix_discriminator_loss, pix2pix_generator_loss
from art_initiative.utils.seeding import batch_indices, iteration_rng


def surrogate_step(nets: DefenceNetworks, z: torch.Tensor, x: torch.Tensor, cfg: InitiativeConfig
                   ) -> dict[str, float]:
    """Stage A: one pix2pix step of SM's PatchGAN (``nets.d_a``) and of SM on clean (sketch, frame) pairs."""
    with autocast(x.device, cfg.precision):
        d_loss, losses = pix2pix_discriminator_loss(nets.sm, nets.d_a, z, x)
    optimizer_step(nets.opt_d_a, d_loss)
    with autocast(x.device, cfg.precision):
        g_loss, g_parts = pix2pix_generator_loss(nets.sm, nets.d_a, z, x, cfg.sm_lambda_l1)
    optimizer_step(nets.opt_sm, g_loss)
    return {f"sm_{k}": v for k, v in {**losses, **g_parts}.items()}


def _surrogate_output(sm: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
    """``SM_x(z)`` in SM's current mode without touching its buffers (BatchNorm statistics), no gradient."""
    with torch.no_grad():
        buffers = {n: b.clone() for n, b in sm.named_buffers()}
        return functional_call(sm, (dict(sm.named_parameters()), buffers), (z,))


def infected_output(nets: DefenceNetworks, z: torch.Tensor, x_adv: torch.Tensor, cfg: InitiativeConfig
                    ) -> torch.Tensor:
    """``M'_x(z)``: the output of TM after ``cfg.tm_steps`` differentiable steps from SM on ``(z, x')``.

    TM's step is scaled by SM's own Adam second moments when they exist, like the forger's optimizer. Always in
    fp32 (second-order gradients), also inside a bf16 autocast region.
    """
    scale = adam_step_scale(nets.sm, nets.opt_sm)
    with torch.enable_grad(), no_autocast(z.device):
        params, buffers = unrolled_update(nets.sm, z.float(), x_adv.float(), cfg.tm_lr, cfg.tm_steps, scale)
        return functional_call(nets.sm, (params, buffers), (z.float(),))


def pg_step(nets: DefenceNetworks, x: torch.Tensor, z: torch.Tensor, mask: torch.Tensor, cfg: InitiativeConfig,
            clip_values: tuple[float, float], rng: np.random.Generator | None = None) -> dict[str, float]:
    """PG's step on ``L_PG = L_A->B (eq. 11 with m(x)) + lambda L_B`` against the frozen SM and critic. With
    ``cfg.eot`` (and ``rng``), TM trains on the protected frames after an online transform drawn per step (the
    forger downloads recompressed, resized frames)."""
    with frozen(nets.sm, nets.d_a, nets.critic), autocast(x.device, cfg.precision):
        x_adv = protect(nets.pg, x, cfg.eps, clip_values)
        x_seen = x_adv
        if cfg.eot and rng is not None:
            x_seen = random_transform(parse_eot(cfg.eot), rng, cfg.eot_identity)(x_adv)
        infl = reenactment_influence_loss(_surrogate_output(nets.sm, z), infected_output(nets, z, x_seen, cfg),
                                          x, mask)
        adv = critic_term(nets, x_adv, cfg)
        loss = pg_loss(infl, adv, cfg.lambda_b)
    optimizer_step(nets.opt_pg, loss)
    return {"pg": loss.item(), "influence": infl.item(), "pg_adv": float("nan") if adv is None else adv.item(),
            "linf": (x_adv - x).abs().max().item()}


def reenactment_distance(nets: DefenceNetworks, x: torch.Tensor, z: torch.Tensor, mask: torch.Tensor,
                         cfg: InitiativeConfig, clip_values: tuple[float, float]) -> float:
    """``D(y, y')`` for reenactment: the masked L1 between ``SM_x(z)`` and ``M'_x(z)`` (TM trained on ``x'``)."""
    with torch.no_grad():
        x_adv = protect(nets.pg, x, cfg.eps, clip_values)
    with frozen(nets.sm):
        infected = infected_output(nets, z, x_adv, cfg).detach()
    return float(((_surrogate_output(nets.sm, z) - infected).abs() * mask).mean())


def train_reenactment_defence(nets: DefenceNetworks, x: np.ndarray, z: np.ndarray, masks: np.ndarray,
                              x_val: np.ndarray, z_val: np.ndarray, masks_val: np.ndarray, cfg: InitiativeConfig,
                              device: torch.device, clip_values: tuple[float, float],
                              checkpoint_path: str | os.PathLike | None = None, resume: bool = True,
                              verbose: bool = True, callback: Callable[[int, dict[str, float]], None] | None = None
                              ) -> dict[str, float]:
    """Run the reenactment defence for ``cfg.sm_pretrain_iterations + cfg.iterations`` iterations.

    :param x: the victim's frames (N, 3, H, W); ``z`` their landmark sketches; ``masks`` ``m(x)`` (N, 1, H, W).
    :return: ``{"best_distance", "best_iteration"}`` of the kept PG.
    """
    x_all, z_all, m_all = torch.from_numpy(x), torch.from_numpy(z), torch.from_numpy(masks)
    distributed.check_batch_split(cfg.batch_size, len(x))
    xv, zv, mv = (torch.from_numpy(a).to(device) for a in (x_val, z_val, masks_val))
    best = {"best_distance": -1.0, "best_iteration": -1}
    warm = cfg.sm_pretrain_iterations
    total = warm + cfg.iterations

    def step(it: int) -> dict[str, float]:
        rng = iteration_rng(cfg.seed, it)
        idx = shard(batch_indices(rng, len(x_all), cfg.batch_size))
        xb, zb, mb = (to_layout(a[idx].to(device), cfg.channels_last) for a in (x_all, z_all, m_all))
        if it < warm or cfg.alternating:
            losses = surrogate_step(nets, zb, xb, cfg)
            if it < warm:
                return losses
        else:
            losses = {}
        nets.pg.train()
        losses.update(critic_step(nets, xb, cfg, it, clip_values))
        losses.update(pg_step(nets, xb, zb, mb, cfg, clip_values, rng))
        if (it + 1 - warm) % cfg.eval_every == 0 or it + 1 == total:
            losses["val_distance"] = keep_best(
                nets, best, it, lambda: reenactment_distance(nets, xv, zv, mv, cfg, clip_values))
        return losses

    return run_defence("InitiativeDefenseReenactment", nets, cfg, step, total, best, checkpoint_path, resume,
                       verbose, callback)
