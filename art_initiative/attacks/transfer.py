"""Transfer settings of the paper's Table 1: protect on a surrogate, measure on the forger's target model."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from art.attacks.attack import EvasionAttack

from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import defense_success_rate, l1, mse


@dataclass
class TransferResult:
    """Protected images and what the target model makes of them, per target class."""

    x_protected: np.ndarray          # (N, C, H, W), or (K, N, C, H, W) with one protection per class
    clean_forgery: np.ndarray        # (K, N, C, H, W): target(x, c_k)
    infected_forgery: np.ndarray     # (K, N, C, H, W): target(x', c_k)
    seconds_per_image: float         # protection time only

    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Clean and infected forgeries with the class axis folded into the batch: (K * N, C, H, W) each."""
        shape = self.clean_forgery.shape[2:]
        return self.clean_forgery.reshape(-1, *shape), self.infected_forgery.reshape(-1, *shape)

    def dsr(self, threshold: float = 0.05, metric: str = "mse") -> float:
        """Share of (image, class) pairs whose forgery moved by more than ``threshold``."""
        return defense_success_rate(*self._pairs(), threshold, metric)

    def mse(self) -> float:
        """Mean over (image, class) pairs of the MSE between clean and infected forgeries."""
        return float(mse(*self._pairs()).mean())

    def l1(self) -> float:
        """Mean over (image, class) pairs of the L1 between clean and infected forgeries."""
        return float(l1(*self._pairs()).mean())


def transfer_disruption(attack: EvasionAttack, target: PyTorchImageTranslator, x: np.ndarray,
                        conditions: Sequence[np.ndarray | None] | None = None, per_class: bool = True
                        ) -> TransferResult:
    """Protect ``x`` with ``attack`` (built on a surrogate) and evaluate the protection on ``target``.

    This is the paper's gray-box / black-box protocol in one call: the perturbation only ever sees the
    surrogate (``attack.estimator``); the target's outputs on the clean and protected images are compared.

    :param attack: any attack with ``generate(x, conditions=...)`` (``RuizDisruption``) or an ART attack on a
        :class:`PyTorchImageTranslator` (run through :func:`~art_initiative.attacks.generate_with_art`).
    :param target: the forger's model, never used to compute the perturbation.
    :param conditions: the K target classes, each (N, c_dim) or (c_dim,); None for unconditional models.
    :param per_class: protect separately for each class (one protected image per (image, class) pair, as the
        baseline's white-box evaluation does); False protects once for all classes (``RuizDisruption``'s
        ``class_mode`` combines them) and evaluates that one image under every class.
    """
    from art_initiative.attacks.references import generate_with_art
    from art_initiative.attacks.ruiz import RuizDisruption

    classes = list(conditions) if conditions is not None else [None]

    def protect(c: object) -> np.ndarray:
        if isinstance(attack, RuizDisruption):
            return attack.generate(x, conditions=c)
        if c is not None and not (isinstance(c, np.ndarray) and c.ndim in (1, 2)):
            raise ValueError("ART attacks take one target class at a time: use per_class=True.")
        return generate_with_art(attack, x, conditions=c)

    start = time.perf_counter()
    if per_class:
        protected = np.stack([protect(c) for c in classes])
    else:
        protected = protect(classes if len(classes) > 1 else classes[0])
    seconds = (time.perf_counter() - start) / len(x)
    clean = np.stack([target.predict(x, conditions=c) for c in classes])
    infected = np.stack([target.predict(protected[k] if per_class else protected, conditions=c)
                         for k, c in enumerate(classes)])
    return TransferResult(protected, clean, infected, seconds)
