"""Losses of the initiative defence (Huang et al. 2021): attribute editing (eqs. 4-10 and 12), reenactment (eq. 11).

Notation: ``sm`` is the surrogate manipulation model SM(x, c), ``d_a`` its StarGAN discriminator (source and
attribute heads), ``d_b`` the critic of protected images, ``x_adv`` the protected images ``x' = x + eps PG(x)``,
``targets`` the target domains ``c_j`` (a list of (N, c_dim) tensors) and ``mu`` their weights (eq. 8).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from art_initiative.attacks.initiative.config import DISTANCES
from art_initiative.training.losses import gradient_penalty

Translator = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def image_distance(a: torch.Tensor, b: torch.Tensor, distance: str = "l1") -> torch.Tensor:
    """The distance of eqs. 7 and 9 between two batches, a mean per pixel: ``"l1"`` (the paper's ``||.||_1``) or
    ``"l2"`` (the mean squared error, the quantity DSR thresholds and Ruiz et al.'s objective).

    :raises ValueError: an unknown ``distance``.
    """
    if distance == "l1":
        return (a - b).abs().mean()
    if distance == "l2":
        return ((a - b) ** 2).mean()
    raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}.")


def domain_weights(x: torch.Tensor, clean_forgeries: Sequence[torch.Tensor]) -> torch.Tensor:
    """Eq. 8: ``mu_j = ||x - SM(x, c_j)||_1 / sum_j ||x - SM(x, c_j)||_1`` (batch means, no gradient), shape (J,).

    :param clean_forgeries: ``SM(x, c_j)`` for every target domain.
    """
    with torch.no_grad():
        change = torch.stack([(y - x).abs().mean() for y in clean_forgeries])
    return change / change.sum().clamp_min(1e-12)


def basic_loss(clean_forgeries: Sequence[torch.Tensor], infected_forgeries: Sequence[torch.Tensor],
               mu: torch.Tensor, distance: str = "l1") -> torch.Tensor:
    """Eq. 7: ``L_bs = -sum_j mu_j ||SM(x, c_j) - SM(x', c_j)||_1`` (mean absolute error per pixel; ``distance``
    ``"l2"``: the mean squared error instead, see :func:`image_distance`)."""
    total = infected_forgeries[0].new_zeros(())
    for m, y, y_adv in zip(mu, clean_forgeries, infected_forgeries, strict=True):
        total = total - m * image_distance(y_adv, y.detach(), distance)
    return total


def cycle_loss(x_adv: torch.Tensor, cycled: Sequence[torch.Tensor], mu: torch.Tensor, distance: str = "l1"
               ) -> torch.Tensor:
    """Eq. 9: ``L_cyc = -sum_j mu_j ||x' - SM(SM(x', c_j), c)||_1``: break the cycle back to the own domain.

    :param cycled: ``SM(SM(x', c_j), c)`` for every target domain ``c_j`` (``c``: the images' own labels).
    :param distance: ``"l1"`` (the paper) or ``"l2"``, see :func:`image_distance`.
    """
    total = x_adv.new_zeros(())
    for m, y_cyc in zip(mu, cycled, strict=True):
        total = total - m * image_distance(x_adv, y_cyc, distance)
    return total


def domain_loss(d_a: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                infected_forgeries: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]) -> torch.Tensor:
    """Eq. 10: ``L_dom = E[-log D_A(c_rj | SM(x', c_j))] + E_j[D_A(SM(x', c_j))]``, averaged over the domains.

    ``c_rj = 1 - c_j`` is the farthest (inverse) domain; the second term lowers D_A's realness score.
    """
    total = infected_forgeries[0].new_zeros(())
    for y_adv, c in zip(infected_forgeries, targets, strict=True):
        src, cls = d_a(y_adv)
        total = total + F.binary_cross_entropy_with_logits(cls, 1.0 - c, reduction="sum") / cls.shape[0] + src.mean()
    return total / len(targets)


def influence_loss(sm: Translator, d_a: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                   x: torch.Tensor, x_adv: torch.Tensor, c_org: torch.Tensor, targets: Sequence[torch.Tensor],
                   lambda_bs: float = 10.0, lambda_cyc: float = 2.5, lambda_dom: float = 1.0, distance: str = "l1"
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 6: ``L_A->B = lambda_2 L_bs + lambda_3 L_cyc + lambda_4 L_dom`` (paper: 10, 2.5, 1).

    ``distance`` is the one of eqs. 7 and 9 (:func:`image_distance`; the paper's ``"l1"``).

    Each forgery ``SM(x, c_j)`` and ``SM(x', c_j)`` is computed once and shared by the three terms; the domains
    go through SM and D_A as one batch (both act on each image alone, so this equals one pass per domain). A term
    whose weight is 0 is not computed (the cycle term costs a second pass through SM, the domain term one through
    D_A, each with its backward pass); it is logged as NaN.

    :return: the loss and its three terms (unweighted, as floats; NaN where not computed) for logging.
    """
    n, k = x.shape[0], len(targets)
    c_all = torch.cat(list(targets))
    with torch.no_grad():
        clean = sm(x.repeat(k, 1, 1, 1), c_all).split(n)
    infected_all = sm(x_adv.repeat(k, 1, 1, 1), c_all)
    infected = infected_all.split(n)
    mu = domain_weights(x, clean)
    bs = basic_loss(clean, infected, mu, distance)
    loss = lambda_bs * bs
    parts = {"bs": bs.item(), "cyc": float("nan"), "dom": float("nan")}
    if lambda_cyc:
        cyc = cycle_loss(x_adv, sm(infected_all, c_org.repeat(k, 1)).split(n), mu, distance)
        loss = loss + lambda_cyc * cyc
        parts["cyc"] = cyc.item()
    if lambda_dom:
        dom = domain_loss(d_a, [infected_all], [c_all])  # = the mean over domains of eq. 10
        loss = loss + lambda_dom * dom
        parts["dom"] = dom.item()
    return loss, parts


def critic_loss(d_b: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, x_adv: torch.Tensor,
                lambda_gp: float = 10.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Eq. 5 for D_B, which maximises ``E[D_B(x)] - E[D_B(x')] - lambda_1 GP``: this returns its negative."""
    return -(d_b(x).mean() - d_b(x_adv.detach()).mean()) + lambda_gp * gradient_penalty(d_b, x, x_adv, generator)


def pg_adversarial_loss(d_b: Callable[[torch.Tensor], torch.Tensor], x_adv: torch.Tensor) -> torch.Tensor:
    """``L_B`` for PG (the generator side of eq. 5): ``-E[D_B(x')]``, make protected images look clean."""
    return -d_b(x_adv).mean()


def pg_loss(influence: torch.Tensor, adversarial: torch.Tensor | None, lambda_b: float = 0.01,
            previous_influence: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 4 ``L_PG = L_A->B + lambda L_B``, or eq. 12 with the task-specific defence enhancement
    ``L_PG = L_A->B + L'_A->B + lambda L_B`` when the influence on the previous iteration's SM is given.
    ``adversarial`` may be None only with ``lambda_b == 0`` (the critic then plays no part).

    :raises ValueError: ``adversarial`` is None while ``lambda_b`` is not 0.
    """
    if adversarial is None and lambda_b:
        raise ValueError(f"adversarial (L_B) is required with lambda_b={lambda_b!r}; only lambda_b=0 goes without it.")
    total = influence if adversarial is None else influence + lambda_b * adversarial
    return total if previous_influence is None else total + previous_influence


def forgery_distance(sm: Translator, x: torch.Tensor, x_adv: torch.Tensor, targets: Sequence[torch.Tensor]
                     ) -> torch.Tensor:
    """``D(y, y')`` of Algorithm 1: the mean over domains of the MSE between SM's clean and infected forgeries."""
    with torch.no_grad():
        return torch.stack([((sm(x, c) - sm(x_adv, c)) ** 2).mean() for c in targets]).mean()


def reenactment_influence_loss(sm_out: torch.Tensor, infected_out: torch.Tensor, x: torch.Tensor,
                               mask: torch.Tensor) -> torch.Tensor:
    """Eq. 11 with the facial mask of the defence enhancement for Face2Face:
    ``L_A->B = ||(SM_x(z) - x) m(x)||_1 - ||(M'_x(z) - x) m(x)||_1`` (mean absolute error per pixel).

    Minimising it makes the infected model M' (TM's weights after training on ``x'``) reconstruct the real
    frames worse than the clean surrogate SM does.

    :param sm_out: ``SM_x(z)`` (no gradient needed).
    :param infected_out: ``M'_x(z)``, a function of ``x'`` through TM's update.
    :param x: the clean frames.
    :param mask: ``m(x)``, shape (N, 1, H, W): 1.0 on the face, 0.01 elsewhere.
    """
    return ((sm_out.detach() - x) * mask).abs().mean() - ((infected_out - x) * mask).abs().mean()


def distillation_loss(pg_output: torch.Tensor, teacher_delta: torch.Tensor, eps: float) -> torch.Tensor:
    """Not the paper's (PG's optional warm start, :mod:`~art_initiative.attacks.initiative.distill`): the mean
    squared error between PG's output and a per-image attack's perturbation in PG's units,
    ``mean((PG(x) - delta / eps)^2)``.

    :param pg_output: ``PG(x)`` in [-1, 1].
    :param teacher_delta: ``x_teacher - x``, within ``eps`` in L-inf.
    """
    return ((pg_output.float() - teacher_delta / eps) ** 2).mean()
