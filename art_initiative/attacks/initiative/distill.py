"""PG's warm start by distillation (not the paper's): before Algorithm 1, PG regresses the perturbations that Ruiz
et al.'s PGD computes on the surrogate SM for the same faces.

The paper trains PG on eq. 4 alone. At CPU scale that PG underfits: it moves its own SM about half as far as
ten PGD steps do, on its training faces as on new ones (docs' results). Each PGD perturbation is a dense, per-pixel
target for PG's output where eq. 4 gives PG only the gradient of a forgery distance, so a few hundred regression
steps may start Algorithm 1 from a stronger PG. The teacher is computed once per face, with the SM as it is when the
distillation starts (after its warm-up), from a random start seeded by the face's index (``distill_start="face"``)
or by the run alone (``"shared"``: the same start for every face, so that the teacher is a function of the face
and PG is not asked to regress the start's randomness), so that an interrupted and resumed run sees the same
teachers; they are kept in memory as float16 (``N x C x H x W`` values).
"""

from __future__ import annotations

import numpy as np
import torch

from art_initiative.attacks.initiative.algorithm import DefenceNetworks, frozen
from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.losses import Translator, distillation_loss
from art_initiative.attacks.ruiz import ascent_step, disruption_loss
from art_initiative.training.distributed import autocast, optimizer_step


def pgd_teacher(sm: Translator, x: torch.Tensor, targets: list[torch.Tensor], eps: float, steps: int,
                step_size: float, clip_values: tuple[float, float], start: torch.Tensor) -> torch.Tensor:
    """Ruiz et al.'s PGD on ``sm``, joint over the target domains (the sum of their losses at every step), from
    ``x + start``; returns the perturbation ``x' - x``, within ``eps`` in L-inf.

    :param start: the random start, uniform in [-eps, eps], shape of ``x``.
    """
    with torch.no_grad():
        references = [sm(x, c) for c in targets]
    def objective(x_adv: torch.Tensor) -> torch.Tensor:
        return sum(disruption_loss(sm(x_adv, c), ref).sum() for c, ref in zip(targets, references, strict=True))

    x_adv = torch.clamp(x + start, *clip_values)
    for _ in range(steps):
        x_adv = ascent_step(x_adv, x, objective, step_size, eps, clip_values)
    return (x_adv - x).detach()


class TeacherCache:
    """The teacher perturbation of each training face, computed the first time the face is drawn.

    :param seed: the run's seed (with the face's index, it seeds the face's random start).
    :param shared: one random start for every face (seeded by ``seed`` alone) instead of one per face.
    """

    def __init__(self, seed: int, shared: bool = False) -> None:
        self.seed = seed
        self.shared = shared
        self.deltas: dict[int, torch.Tensor] = {}

    def start(self, index: int, shape: tuple[int, ...], eps: float) -> torch.Tensor:
        """The random start of face ``index``: uniform in [-eps, eps], the same on every call."""
        key = [self.seed, 7919] if self.shared else [self.seed, 7919, index]
        g = torch.Generator().manual_seed(int(np.random.SeedSequence(key).generate_state(1)[0]))
        return torch.empty(shape).uniform_(-eps, eps, generator=g)

    def get(self, sm: Translator, indices: np.ndarray, x: torch.Tensor, targets: list[torch.Tensor],
            cfg: InitiativeConfig, clip_values: tuple[float, float]) -> torch.Tensor:
        """The teachers of the batch ``x`` (the faces ``indices``; ``targets``: their target domains), computing
        the missing ones in one batch (``cfg.distill_steps`` steps of ``2 eps / distill_steps``: Ruiz PGD-10's
        0.01 at eps 0.05)."""
        missing = [j for j, i in enumerate(indices) if int(i) not in self.deltas]
        if missing:
            rows = torch.as_tensor(missing, device=x.device)
            starts = torch.stack([self.start(int(indices[j]), tuple(x.shape[1:]), cfg.eps) for j in missing])
            delta = pgd_teacher(sm, x[rows], [c[rows] for c in targets], cfg.eps, cfg.distill_steps,
                                2 * cfg.eps / cfg.distill_steps, clip_values, starts.to(x.device))
            for j, d in zip(missing, delta, strict=True):
                self.deltas[int(indices[j])] = d.to("cpu", torch.float16)
        return torch.stack([self.deltas[int(i)] for i in indices]).to(x.device, torch.float32)


def distill_step(nets: DefenceNetworks, x: torch.Tensor, indices: np.ndarray, targets: list[torch.Tensor],
                 cache: TeacherCache, cfg: InitiativeConfig, clip_values: tuple[float, float]) -> dict[str, float]:
    """One regression step of PG on the teachers of the batch (:func:`distillation_loss`)."""
    with frozen(nets.sm):
        teacher = cache.get(nets.sm, indices, x, targets, cfg, clip_values)
    with autocast(x.device, cfg.precision):
        loss = distillation_loss(nets.pg(x), teacher, cfg.eps)
    optimizer_step(nets.opt_pg, loss)
    return {"distill": loss.item()}
