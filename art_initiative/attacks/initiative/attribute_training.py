"""Algorithm 1 for attribute editing (eqs. 4-10 and 12) as small step functions and one plain loop.

Each iteration: stage A updates the surrogate SM on clean data (StarGAN recipe), then the critic D_B of
protected images takes a WGAN-GP step (eq. 5), then PG takes a step on ``L_PG`` (eq. 4, or eq. 12 with the
defence enhancement). Every ``eval_every`` iterations ``D(y, y')`` is measured on a held-out batch and the
best PG so far is kept (Algorithm 1's last lines).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import torch

from art_initiative.attacks.initiative.algorithm import (
    DefenceNetworks,
    critic_step,
    critic_term,
    frozen,
    keep_best,
    run_defence,
)
from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.distill import TeacherCache, distill_step
from art_initiative.attacks.initiative.losses import (
    forgery_distance,
    influence_loss,
    pg_loss,
)
from art_initiative.data.domains import target_domains
from art_initiative.models.perturbation import protect
from art_initiative.preprocessing.eot import parse_eot, random_transform
from art_initiative.training import distributed
from art_initiative.training.distributed import autocast, optimizer_step, shard, to_layout
from art_initiative.training.stargan import (
    StarGANConfig,
    random_target_labels,
    stargan_discriminator_loss,
    stargan_generator_loss,
)
from art_initiative.utils.seeding import batch_indices, iteration_rng, iteration_torch_generator


def _stargan_cfg(cfg: InitiativeConfig) -> StarGANConfig:
    return StarGANConfig(lambda_id=cfg.sm_lambda_id, n_critic=cfg.n_critic)


def snapshot_surrogate(nets: DefenceNetworks) -> None:
    """Keep the SM and D_A as they are now in ``sm_prev`` and ``d_a_prev`` (eq. 12's "SM in last iteration")."""
    nets.sm_prev.load_state_dict(nets.sm.state_dict())
    if nets.d_a_prev is not None:
        nets.d_a_prev.load_state_dict(nets.d_a.state_dict())


def uses_previous_surrogate(cfg: InitiativeConfig) -> bool:
    """Eq. 12 applies: the enhancement is on and the SM changes between iterations (without alternating training
    the SM is frozen, the previous SM is the current one, and the ablation counts the influence loss once)."""
    return cfg.enhancement and cfg.alternating


def surrogate_step(nets: DefenceNetworks, x: torch.Tensor, c_org: torch.Tensor, rng: np.random.Generator,
                   cfg: InitiativeConfig, it: int) -> dict[str, float]:
    """Stage A: one StarGAN discriminator step; every ``n_critic``-th iteration one SM step (with
    ``cfg.snapshot == "update"``, after keeping the SM it replaces in ``sm_prev``)."""
    scfg = _stargan_cfg(cfg)
    c_trg = random_target_labels(c_org, rng)
    gp_generator = iteration_torch_generator(cfg.seed, it, distributed.rank_stream(1), x.device)
    with autocast(x.device, cfg.precision):
        d_loss, parts = stargan_discriminator_loss(nets.sm, nets.d_a, x, c_org, c_trg, scfg, gp_generator)
    optimizer_step(nets.opt_d_a, d_loss)
    if (it + 1) % cfg.n_critic == 0:
        if cfg.snapshot == "update" and uses_previous_surrogate(cfg):
            nets.sm_prev.load_state_dict(nets.sm.state_dict())
        with autocast(x.device, cfg.precision):
            g_loss, g_parts = stargan_generator_loss(nets.sm, nets.d_a, x, c_org, c_trg, scfg)
        optimizer_step(nets.opt_sm, g_loss)
        parts.update(g_parts)
    return {f"sm_{k}": v for k, v in parts.items()}


def input_diversity(x: torch.Tensor, x_adv: torch.Tensor, rng: np.random.Generator, shift: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random horizontal flip and circular shift (up to ``shift`` pixels) of clean and protected images,
    so that PG learns a perturbation that survives small changes of framing instead of one SM's exact grid."""
    if rng.random() < 0.5:
        x, x_adv = x.flip(-1), x_adv.flip(-1)
    dy, dx = (int(v) for v in rng.integers(-shift, shift + 1, size=2))
    return x.roll((dy, dx), (-2, -1)), x_adv.roll((dy, dx), (-2, -1))


def pg_step(nets: DefenceNetworks, x: torch.Tensor, c_org: torch.Tensor, targets: Sequence[torch.Tensor],
            cfg: InitiativeConfig, clip_values: tuple[float, float], rng: np.random.Generator | None = None
            ) -> dict[str, float]:
    """PG's step on ``L_PG`` (eq. 4; eq. 12 when :func:`uses_previous_surrogate`) against the frozen SM and
    critics, after the input diversity of ``cfg.augment_shift`` and the online transform drawn for ``cfg.eot``
    (both need ``rng``; the critic sees the untransformed x'). Eq. 12's second influence term uses ``sm_prev``
    and ``d_a_prev`` (the public code's previous D_A, kept with ``cfg.snapshot == "iteration"``), or the current
    D_A where there is no ``d_a_prev``. With ``cfg.pg_gradient == "sign"`` PG's weights receive the sign of the
    loss's gradient at x' (not the paper's); with ``cfg.pg_output == "sign"`` x' is the full-budget protection
    ``clip(x + eps * sign(PG(x)))``, its gradient passed straight through the sign (not the paper's). With
    ``nets.surrogates`` (an ensemble, not the paper's) the influence term is the mean over SM and each of them
    (eq. 12's second term stays SM's own)."""
    frozen_nets = [m for m in (nets.sm, nets.sm_prev, nets.d_a, nets.d_a_prev, nets.critic, *nets.surrogates)
                   if m is not None]
    with frozen(*frozen_nets), autocast(x.device, cfg.precision):
        x_adv = protect(nets.pg, x, cfg.eps, clip_values, cfg.saturated)
        if cfg.pg_gradient == "sign" and x_adv.requires_grad:  # PG learns from the sign of dL_PG/dx' per pixel
            x_adv.register_hook(torch.sign)
        x_in, x_adv_in = (x, x_adv) if not cfg.augment_shift or rng is None else \
            input_diversity(x, x_adv, rng, cfg.augment_shift)
        if cfg.eot and rng is not None:  # robust training: the same online transform of x and x' (EoT)
            transform = random_transform(parse_eot(cfg.eot), rng, cfg.eot_identity)
            x_in, x_adv_in = transform(x_in), transform(x_adv_in)
        weights = dict(lambda_bs=cfg.lambda_bs, lambda_cyc=cfg.lambda_cyc, lambda_dom=cfg.lambda_dom,
                       distance=cfg.influence_distance)
        infl, parts = influence_loss(nets.sm, nets.d_a, x_in, x_adv_in, c_org, targets, **weights)
        if nets.surrogates:  # an ensemble (not the paper's): the mean influence over SM and the further surrogates
            others = [influence_loss(m, nets.d_a, x_in, x_adv_in, c_org, targets, **weights)[0]
                      for m in nets.surrogates]
            parts["influence_sm"] = infl.item()
            infl = (infl + sum(others)) / (1 + len(others))
        d_a_prev = nets.d_a if nets.d_a_prev is None else nets.d_a_prev
        prev = influence_loss(nets.sm_prev, d_a_prev, x_in, x_adv_in, c_org, targets, **weights)[0] \
            if uses_previous_surrogate(cfg) else None
        adv = critic_term(nets, x_adv, cfg)
        loss = pg_loss(infl, adv, cfg.lambda_b, prev)
    optimizer_step(nets.opt_pg, loss)
    out = {"pg": loss.item(), "influence": infl.item(), "pg_adv": float("nan") if adv is None else adv.item(), **parts}
    if prev is not None:
        out["influence_prev"] = prev.item()
    out["linf"] = (x_adv - x).abs().max().item()
    return out


def train_defence(nets: DefenceNetworks, x: np.ndarray, labels: np.ndarray, attributes: Sequence[str],
                  x_val: np.ndarray, labels_val: np.ndarray, cfg: InitiativeConfig, device: torch.device,
                  clip_values: tuple[float, float], checkpoint_path: str | os.PathLike | None = None,
                  resume: bool = True, verbose: bool = True,
                  callback: Callable[[int, dict[str, float]], None] | None = None) -> dict[str, float]:
    """Run Algorithm 1 for ``cfg.iterations`` iterations (resuming from ``checkpoint_path`` when it exists).

    The first ``cfg.sm_pretrain_iterations`` iterations (if any) train the surrogate alone on clean data (a warm
    start); with ``cfg.alternating`` off the surrogate then stays frozen (the paper's ablation). The next
    ``cfg.distill_iterations`` (if any; not the paper's) train PG alone on Ruiz PGD's perturbations of the SM
    (:mod:`~art_initiative.attacks.initiative.distill`). With ``cfg.snapshot == "iteration"`` every iteration of
    Algorithm 1 begins by keeping the SM and D_A for eq. 12. PG_best is measured in both of PG's phases.

    :return: ``{"best_distance", "best_iteration"}`` of the kept PG.
    """
    x_all, y_all = torch.from_numpy(x), torch.from_numpy(labels)
    distributed.check_batch_split(cfg.batch_size, len(x))
    xv = to_layout(torch.from_numpy(x_val).to(device), cfg.channels_last)
    targets_val = [torch.from_numpy(c).to(device) for c in target_domains(labels_val, attributes)]
    best = {"best_distance": -1.0, "best_iteration": -1}
    warm = cfg.sm_pretrain_iterations
    teachers = TeacherCache(cfg.seed, shared=cfg.distill_start == "shared") if cfg.distill_iterations else None

    def step(it: int) -> dict[str, float]:
        rng = iteration_rng(cfg.seed, it)
        idx = shard(batch_indices(rng, len(x_all), cfg.batch_size))
        xb, c_org = to_layout(x_all[idx].to(device), cfg.channels_last), y_all[idx].to(device)
        if it < warm:  # warm start: stage A alone (then frozen when alternating is off)
            losses = surrogate_step(nets, xb, c_org, rng, cfg, it)
            if it + 1 == warm:
                snapshot_surrogate(nets)
            return losses
        all_domains = target_domains(labels[idx], attributes)
        domains = all_domains if cfg.domains_per_step >= len(all_domains) else [
            all_domains[j] for j in sorted(rng.choice(len(all_domains), cfg.domains_per_step, replace=False))]
        losses = {}
        if it < warm + cfg.distill_iterations:  # PG's warm start on the SM's PGD perturbations (not the paper's)
            nets.pg.train()
            all_targets = [torch.from_numpy(c).to(device) for c in all_domains]
            losses.update(distill_step(nets, xb, idx, all_targets, teachers, cfg, clip_values))
        else:
            targets = [torch.from_numpy(c).to(device) for c in domains]
            losses.update(algorithm_step(it, xb, c_org, targets, rng))
        if (it + 1 - warm) % cfg.eval_every == 0 or it + 1 == total:
            def distance() -> float:
                with torch.no_grad(), autocast(device, cfg.precision):
                    x_adv = protect(nets.pg, xv, cfg.eps, clip_values, cfg.saturated)
                    return forgery_distance(nets.sm, xv, x_adv, targets_val).item()
            losses["val_distance"] = keep_best(nets, best, it, distance)
        return losses

    def algorithm_step(it: int, xb: torch.Tensor, c_org: torch.Tensor, targets: list[torch.Tensor],
                       rng: np.random.Generator) -> dict[str, float]:
        """One iteration of Algorithm 1: stage A (when alternating), D_B's step, PG's step."""
        losses = {}
        if cfg.alternating:
            if cfg.snapshot == "iteration" and uses_previous_surrogate(cfg):
                snapshot_surrogate(nets)
            losses.update(surrogate_step(nets, xb, c_org, rng, cfg, it))
        nets.pg.train()
        losses.update(critic_step(nets, xb, cfg, it, clip_values))
        losses.update(pg_step(nets, xb, c_org, targets, cfg, clip_values, rng))
        return losses

    total = warm + cfg.distill_iterations + cfg.iterations
    return run_defence("InitiativeDefense", nets, cfg, step, total, best, checkpoint_path, resume, verbose, callback)
