"""Refinement of a learned protection: a few signed-gradient steps on the surrogate, starting at ``x + eps PG(x)``.

Not part of the paper, which publishes PG's output as it is. PG's output is a starting point where the surrogate's
disruption loss has a useful gradient (at the clean image it is exactly zero), so a step or two from there move a
forger further than PG alone and, on the benchmark's test bed, two steps of eps/2 further than ten PGD steps from a
random start, at a quarter of their cost (measured in the docs' results; ``benchmarks/refine_curve.py``). The steps
are Ruiz et al.'s (:class:`~art_initiative.attacks.ruiz.RuizDisruption`, joint over the edit requests) with PG's
output as ``x_init``. Each step costs a forward and backward pass of the surrogate per edit request; with
``requests_per_step=m`` a step takes only m of a face's K requests, a different m at every step and for every face of
the batch (:func:`rotated_requests`), so that it costs m/K of a full step while the batch still covers every request.
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


def rotated_requests(conditions: Sequence[np.ndarray], step: int, per_step: int) -> list[np.ndarray]:
    """The ``per_step`` edit requests of refinement step ``step``: face i takes requests
    ``(i + step * per_step + j) mod K`` for ``j < per_step``, so that consecutive steps take the next ones in turn and
    the faces of a batch spread over all K.

    :param conditions: the K edit requests, one (N, c_dim) array each.
    :param step: the step's index (0, 1, ...).
    :param per_step: m, the requests per step (1 <= m <= K).
    :return: m (N, c_dim) arrays.
    """
    stacked = np.stack([np.asarray(c, dtype=np.float32) for c in conditions])  # (K, N, c_dim)
    k, n = stacked.shape[:2]
    faces = np.arange(n)
    return [stacked[(faces + step * per_step + j) % k, faces] for j in range(per_step)]


def refine_protection(estimator: PyTorchImageTranslator, x: np.ndarray, protected: np.ndarray,
                      conditions: Sequence[np.ndarray], eps: float, steps: int, step_size: float,
                      batch_size: int = 32, requests_per_step: int | None = None,
                      surrogates: Sequence[PyTorchImageTranslator] = ()) -> np.ndarray:
    """``steps`` I-FGSM steps of ``step_size`` on ``estimator`` from ``protected``, within ``eps`` of ``x``.

    :param estimator: the surrogate the steps take gradients of.
    :param surrogates: further models whose losses the steps add to the estimator's (an ensemble:
        ``RuizDisruption(surrogates=...)``), for example those an ensemble PG was trained against.
    :param x: the clean images.
    :param protected: the learned protection of ``x`` (the start).
    :param conditions: the edit requests, one (N, c_dim) array each (their losses are summed).
    :param requests_per_step: how many of the requests each step disrupts (None: all of them); fewer make a step
        cheaper in proportion, in turn over the requests (:func:`rotated_requests`).
    :return: the refined protection, float32, within ``eps`` of ``x`` and inside the estimator's ``clip_values``.
    """
    conditions = list(conditions)
    if requests_per_step is not None and not 1 <= requests_per_step <= len(conditions):
        raise ValueError(f"requests_per_step must be None or in [1, {len(conditions)}] (the number of edit "
                         f"requests), got {requests_per_step!r}.")
    every = requests_per_step is None or requests_per_step == len(conditions)  # all steps in one attack
    attack = RuizDisruption(estimator, method="ifgsm", eps=eps, eps_step=step_size, max_iter=steps if every else 1,
                            class_mode="joint", batch_size=batch_size, surrogates=surrogates, verbose=False)
    if every:
        return attack.generate(x, conditions=conditions, x_init=protected)
    for step in range(steps):
        protected = attack.generate(x, conditions=rotated_requests(conditions, step, requests_per_step),
                                    x_init=protected)
    return protected
