"""Refinement of a learned protection: a few signed-gradient steps on the surrogate, starting at ``x + eps PG(x)``.

Not part of the paper, which publishes PG's output as it is. PG's output is a starting point where the surrogate's
disruption loss has a useful gradient (at the clean image it is exactly zero), so a step or two from there move a
forger further than PG alone and, on the benchmark's test bed, two steps of eps/2 further than ten PGD steps from a
random start, at a quarter of their cost (measured in the docs' results; ``benchmarks/refine_curve.py``). The steps
are Ruiz et al.'s (:class:`~art_initiative.attacks.ruiz.RuizDisruption`, joint over the edit requests) with PG's
output as ``x_init``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from art_initiative.attacks.ruiz import RuizDisruption
from art_initiative.data.domains import target_domains
from art_initiative.estimators import PyTorchImageTranslator


def edit_requests(labels: np.ndarray | None, attributes: Sequence[str], n: int) -> list[np.ndarray]:
    """The target domains the refinement steps disrupt jointly, one (n, c_dim) array per attribute.

    With the images' own attributes: each attribute flipped (a hair colour set one-hot), as the paper's evaluation
    and :func:`~art_initiative.data.domains.target_domains` do. Without them: each attribute alone switched on.

    :param labels: the images' own 0/1 attributes (n, c_dim), or None.
    :param attributes: the names of the c_dim attributes.
    :param n: the number of images.
    """
    if labels is not None:
        labels = np.asarray(labels, dtype=np.float32)
        if labels.shape != (n, len(attributes)) or not np.isin(labels, (0.0, 1.0)).all():
            raise ValueError(f"y (the images' own attributes) must be 0/1 of shape ({n}, {len(attributes)}), "
                             f"got {labels.shape}.")
        return target_domains(labels, attributes)
    eye = np.eye(len(attributes), dtype=np.float32)
    return [np.repeat(eye[j:j + 1], n, axis=0) for j in range(len(attributes))]


def refine_protection(estimator: PyTorchImageTranslator, x: np.ndarray, protected: np.ndarray,
                      conditions: Sequence[np.ndarray], eps: float, steps: int, step_size: float,
                      batch_size: int = 32) -> np.ndarray:
    """``steps`` I-FGSM steps of ``step_size`` on ``estimator`` from ``protected``, within ``eps`` of ``x``.

    :param estimator: the surrogate the steps take gradients of.
    :param x: the clean images.
    :param protected: the learned protection of ``x`` (the start).
    :param conditions: the edit requests, one (N, c_dim) array each (their losses are summed).
    :return: the refined protection, float32, within ``eps`` of ``x`` and inside the estimator's ``clip_values``.
    """
    attack = RuizDisruption(estimator, method="ifgsm", eps=eps, eps_step=step_size, max_iter=steps,
                            class_mode="joint", batch_size=batch_size, verbose=False)
    return attack.generate(x, conditions=list(conditions), x_init=protected)
