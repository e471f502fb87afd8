"""Reference outputs for disruption attacks, and the helper that runs ART's stock attacks on a translator.

The disruption loss ``||G(x') - G(x)||^2`` has an exactly zero gradient at ``x' = x``, and ``sign(0) = 0``,
so ART's FGM/BIM/PGD (which refuses random starts for non-classifiers) never leave ``x``. Attacking a
reference jittered by a tiny seeded Gaussian noise gives a non-zero first gradient and changes nothing else:
:func:`jittered_reference` builds it, :func:`generate_with_art` runs any ART evasion attack with it.
"""

from __future__ import annotations

import contextlib

import numpy as np
from art.attacks.attack import EvasionAttack

from art_initiative.estimators import PyTorchImageTranslator

DEFAULT_JITTER = 1e-3


def jittered_reference(estimator: PyTorchImageTranslator, x: np.ndarray, conditions: np.ndarray | None = None,
                       jitter: float = DEFAULT_JITTER, seed: int = 0, batch_size: int = 128) -> np.ndarray:
    """``G(x, c) + N(0, jitter^2)``, the noise drawn from ``numpy.random.default_rng(seed)`` for the whole batch.

    :param jitter: standard deviation of the noise; 0 gives the clean output itself.
    """
    if not np.isfinite(jitter) or jitter < 0:
        raise ValueError(f"jitter must be a finite number >= 0, got {jitter!r}.")
    clean = estimator.predict(x, conditions=conditions, batch_size=batch_size)
    if jitter == 0:
        return clean
    noise = np.random.default_rng(seed).normal(0.0, jitter, clean.shape).astype(np.float32)
    return clean + noise


def generate_with_art(attack: EvasionAttack, x: np.ndarray, conditions: np.ndarray | None = None,
                      y: np.ndarray | None = None, jitter: float = DEFAULT_JITTER, seed: int = 0) -> np.ndarray:
    """Run an ART evasion attack (``FastGradientMethod``, ``BasicIterativeMethod``, ``ProjectedGradientDescent``...)
    against a :class:`PyTorchImageTranslator` as a disruption.

    The attack gets ``y`` if given (a reference or, for targeted attacks, a target), else the jittered clean
    output. ``x`` is fed to the attack in chunks of its ``batch_size`` with the matching rows of per-sample
    ``conditions``, so per-sample conditions survive ART's batching and ART's per-dataset buffers stay
    consistent.

    :param attack: an ART attack built on a :class:`PyTorchImageTranslator`.
    :param conditions: target attributes (N, c_dim) or (c_dim,) for a conditional model.
    :return: the perturbed images.
    """
    estimator = attack.estimator
    if not isinstance(estimator, PyTorchImageTranslator):
        raise ValueError(f"attack.estimator must be a PyTorchImageTranslator, got {type(estimator).__name__}.")
    reference = y if y is not None else jittered_reference(estimator, x, conditions, jitter, seed)
    if reference.shape[0] != x.shape[0]:
        raise ValueError(f"y must have one image per image of x ({x.shape[0]}), got {reference.shape[0]}.")
    per_sample = conditions is not None and np.ndim(conditions) == 2
    step = int(getattr(attack, "batch_size", len(x))) if per_sample else len(x)
    out = np.empty_like(x, dtype=np.float32)
    for start in range(0, len(x), step):
        sl = slice(start, min(start + step, len(x)))
        cond = conditions[sl] if per_sample else conditions
        with estimator.conditioning(cond) if estimator.c_dim else contextlib.nullcontext():
            out[sl] = attack.generate(x[sl], y=reference[sl])
    return out

