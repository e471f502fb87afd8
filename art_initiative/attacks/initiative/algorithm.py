"""Algorithm 1 of the paper, what both tasks share: the networks of the two stages, the critic D_B's step
(eq. 5), keeping PG_best (Algorithm 1's last lines) and the checkpointed loop. Each task adds its own stage A and
PG step (:mod:`~art_initiative.attacks.initiative.attribute_training`,
:mod:`~art_initiative.attacks.initiative.reenactment_training`).
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.losses import critic_loss, pg_adversarial_loss
from art_initiative.models.perturbation import protect
from art_initiative.training import distributed
from art_initiative.training.distributed import autocast, optimizer_step
from art_initiative.training.loop import run_training
from art_initiative.utils.seeding import iteration_torch_generator


@dataclass
class DefenceNetworks:
    """The networks of the two stages and their optimizers (``d_a``: SM's own discriminator, StarGAN's or
    pix2pix's; ``sm_prev`` and ``d_a_prev``: the SM and D_A of the last iteration for eq. 12, None where
    unused; ``surrogates``: further frozen models PG is trained against, none in the paper)."""

    pg: torch.nn.Module
    pg_best: torch.nn.Module
    critic: torch.nn.Module
    sm: torch.nn.Module
    sm_prev: torch.nn.Module | None
    d_a: torch.nn.Module
    opt_pg: torch.optim.Optimizer
    opt_critic: torch.optim.Optimizer
    opt_sm: torch.optim.Optimizer
    opt_d_a: torch.optim.Optimizer
    d_a_prev: torch.nn.Module | None = None
    surrogates: list[torch.nn.Module] = field(default_factory=list)  # further frozen surrogates of PG's loss (an
    #                                                                   ensemble; never trained, not checkpointed)

    def modules(self) -> dict[str, torch.nn.Module]:
        """The networks a checkpoint holds, by name (those that exist in this setting)."""
        named = {"pg": self.pg, "pg_best": self.pg_best, "critic": self.critic, "sm": self.sm,
                 "sm_prev": self.sm_prev, "d_a": self.d_a, "d_a_prev": self.d_a_prev}
        return {k: m for k, m in named.items() if m is not None}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The optimisers a checkpoint holds, by the name of the network each updates."""
        return {"pg": self.opt_pg, "critic": self.opt_critic, "sm": self.opt_sm, "d_a": self.opt_d_a}


@contextlib.contextmanager
def frozen(*modules: torch.nn.Module) -> Iterator[None]:
    """Parameters of ``modules`` need no gradient inside the block (their activations still pass gradients)."""
    flags = [[p.requires_grad for p in m.parameters()] for m in modules]
    for m in modules:
        m.requires_grad_(False)
    try:
        yield
    finally:
        for m, fl in zip(modules, flags, strict=True):
            for p, f in zip(m.parameters(), fl, strict=True):
                p.requires_grad_(f)


def critic_step(nets: DefenceNetworks, x: torch.Tensor, cfg: InitiativeConfig, it: int,
                clip_values: tuple[float, float]) -> dict[str, float]:
    """D_B's WGAN-GP step of iteration ``it`` on clean vs protected images (eq. 5; the protection PG is trained for,
    ``cfg.pg_output``); none when ``L_B`` does not count (``lambda_b == 0``: D_B plays no part, see
    :func:`critic_term`)."""
    if not cfg.lambda_b:
        return {}
    generator = iteration_torch_generator(cfg.seed, it, distributed.rank_stream(2), x.device)
    with autocast(x.device, cfg.precision):
        with torch.no_grad():
            x_adv = protect(nets.pg, x, cfg.eps, clip_values, cfg.saturated)
        loss = critic_loss(nets.critic, x, x_adv, cfg.lambda_gp, generator)
    optimizer_step(nets.opt_critic, loss)
    return {"critic": loss.item()}


def critic_term(nets: DefenceNetworks, x_adv: torch.Tensor, cfg: InitiativeConfig) -> torch.Tensor | None:
    """``L_B`` of PG's step (:func:`~art_initiative.attacks.initiative.losses.pg_adversarial_loss` on D_B), or
    None when its weight ``lambda_b`` is 0 (D_B is then neither trained nor run)."""
    return pg_adversarial_loss(nets.critic, x_adv) if cfg.lambda_b else None


def keep_best(nets: DefenceNetworks, best: dict[str, float], it: int, distance: Callable[[], float]) -> float:
    """Algorithm 1's last lines: measure ``D(y, y')`` with PG in eval mode and keep the best PG in ``pg_best``.

    Under ``torchrun`` the networks' buffers (PG's BatchNorm statistics) follow rank 0 first, so that every rank
    measures the same networks and keeps the same PG."""
    distributed.broadcast_modules(nets.modules().values(), buffers_only=True)
    nets.pg.eval()
    dist = distance()
    if dist > best["best_distance"]:
        best.update(best_distance=dist, best_iteration=it + 1)
        nets.pg_best.load_state_dict(nets.pg.state_dict())
    nets.pg.train()
    return dist


def lr_factor(cfg: InitiativeConfig, it: int) -> float:
    """The public code's schedule (not in the paper): the factor of every learning rate at iteration ``it`` (global
    index: the SM warm start and PG's distillation come first). From alternating iteration ``cfg.lr_decay_start``
    it falls linearly towards 0 at the last iteration; 1 before it and when ``cfg.lr_decay_start`` is 0."""
    first = cfg.sm_pretrain_iterations + cfg.distill_iterations
    total, start = first + cfg.iterations, first + cfg.lr_decay_start
    return 1.0 if cfg.lr_decay_start <= 0 or it < start else (total - it) / (total - start + 1)


def decay_learning_rates(nets: DefenceNetworks, cfg: InitiativeConfig, it: int) -> float:
    """Set the rates of PG, D_B, SM and D_A for iteration ``it`` (:func:`lr_factor` times the configured ones)
    and return the factor."""
    factor = lr_factor(cfg, it)
    for opt, lr in ((nets.opt_pg, cfg.pg_lr), (nets.opt_critic, cfg.critic_lr), (nets.opt_sm, cfg.sm_lr),
                    (nets.opt_d_a, cfg.sm_lr)):
        for group in opt.param_groups:
            group["lr"] = lr * factor
    return factor


# Settings a resumed run may change (the length and its decay schedule, checked by check_schedule; how often it
# checkpoints and measures; the arithmetic): every other setting of a checkpoint must be the run's own.
RESUMABLE_SETTINGS = ("iterations", "lr_decay_start", "checkpoint_every", "eval_every", "precision", "channels_last")


def check_schedule(cfg: InitiativeConfig, stored: dict[str, Any], done: int) -> None:
    """A resumed run may grow longer or add the learning-rate decay only where the iterations already trained keep
    their rates: refuse a checkpoint of ``done`` iterations trained under ``stored`` (its config) otherwise.

    :raises ValueError: the new schedule would have trained some of those iterations at other rates.
    """
    old = replace(cfg, iterations=int(stored.get("iterations", cfg.iterations)),
                  lr_decay_start=int(stored.get("lr_decay_start", 0)))
    changed = next((it for it in range(done) if lr_factor(old, it) != lr_factor(cfg, it)), None)
    if changed is not None:
        raise ValueError(
            f"the checkpoint trained {done} iterations with lr_decay_start={old.lr_decay_start} of "
            f"iterations={old.iterations}; lr_decay_start={cfg.lr_decay_start} of iterations={cfg.iterations} would "
            f"have trained iteration {changed} and later at other learning rates. Resume with the checkpoint's "
            f"schedule, start the decay at or after the resume point, or use another checkpoint path.")


def run_defence(name: str, nets: DefenceNetworks, cfg: InitiativeConfig, step: Callable[[int], dict[str, float]],
                total: int, best: dict[str, float], checkpoint_path: str | os.PathLike | None, resume: bool,
                verbose: bool, callback: Callable[[int, dict[str, float]], None] | None) -> dict[str, float]:
    """Run ``step`` for ``total`` iterations with checkpoints (``best`` saved with them), each at the learning
    rates of :func:`decay_learning_rates` (its losses add ``lr_factor``); leave PGs in eval mode."""
    def scheduled(it: int) -> dict[str, float]:
        factor = decay_learning_rates(nets, cfg, it)
        return {**step(it), "lr_factor": factor}

    run_training(name, cfg, nets.modules(), nets.optimizers(), scheduled, total, checkpoint_path, cfg.checkpoint_every,
                 resume, verbose, callback, extra_state=best,
                 check_resume=lambda stored, done: check_schedule(cfg, stored, done),
                 ignore=RESUMABLE_SETTINGS)
    nets.pg.eval()
    nets.pg_best.eval()
    return best


def fresh_copy(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """A copy of ``module``'s architecture with newly initialised weights (the gray-box surrogate: same
    architecture, never the target's weights).

    The initialisation is seeded from ``seed`` through a fixed mixing, so that it does not repeat a model that
    the user initialised with ``torch.manual_seed(seed)`` itself.
    """
    clone = copy.deepcopy(module)
    torch.manual_seed((seed * 1_000_003 + 918_273_645) % 2**31)
    for m in clone.modules():
        if hasattr(m, "reset_parameters") and m is not clone:
            m.reset_parameters()
    return clone
