"""Expectation over transformations (EoT) for the robust defence: each PG step passes the clean and the
protected images through the same randomly drawn online transform (:mod:`.transforms`) before the surrogate,
so that PG learns a perturbation that still disrupts after JPEG, blur, resizing, a shifted crop or the round trip
through a full-size photo.

The draw: one of the named transforms, or none (each with the same chance, so the untransformed case keeps its
share of the training signal; ``identity=False`` leaves none out), with its parameter uniform in
:data:`EOT_RANGES`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from art_initiative.preprocessing.transforms import TRANSFORMS, differentiable_transform

# The parameter ranges of the draw: JPEG quality (TAFIM trains on 1-99; uploads are rarely below 50), blur sigma
# in pixels, the resize scale, the crop shift in pixels, the full-size photo's upscale factor (a face crop of
# 64-256 px for a 32 px PG).
EOT_RANGES: dict[str, tuple[float, float]] = {"jpeg": (50, 95), "blur": (0.3, 1.5), "resize": (0.5, 0.9),
                                              "shift": (1, 3), "photo": (2.0, 8.0)}


def parse_eot(spec: str) -> tuple[str, ...]:
    """``"jpeg,blur"`` -> ``("jpeg", "blur")``; ``""`` -> ``()`` (EoT off).

    :raises ValueError: a name that is not one of :data:`~.transforms.TRANSFORMS`, or a repeated one.
    """
    names = tuple(n.strip() for n in spec.split(",") if n.strip())
    bad = [n for n in names if n not in TRANSFORMS]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"eot must be a comma-separated list of distinct names from {TRANSFORMS}, got {spec!r}.")
    return names


def draw_transform(names: Sequence[str], rng: np.random.Generator, identity: bool = True
                   ) -> tuple[str, float | int] | None:
    """One draw of the EoT distribution: ``(name, param)``, or None (no transform this step; never drawn when
    ``identity`` is False)."""
    if not names:
        return None
    k = int(rng.integers(len(names) + int(identity)))
    if k == len(names):
        return None
    name = names[k]
    lo, hi = EOT_RANGES[name]
    param: float | int = int(rng.integers(int(lo), int(hi) + 1)) if name in ("jpeg", "shift") \
        else float(rng.uniform(lo, hi))
    return name, param


def random_transform(names: Sequence[str], rng: np.random.Generator, identity: bool = True
                     ) -> Callable[[torch.Tensor], torch.Tensor]:
    """A differentiable function of images drawn by :func:`draw_transform` (the identity when it draws none); call
    it on the clean and the protected images alike."""
    drawn = draw_transform(names, rng, identity)
    if drawn is None:
        return lambda t: t
    name, param = drawn
    return lambda t: differentiable_transform(t, name, param)
