"""Checks for user input that fail with a message naming the argument, what was expected and what came in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


def check_images(x: Any, name: str = "x", channels: int | None = 3,
                 value_range: tuple[float, float] | None = (-1.0, 1.0),
                 shape: tuple[int, ...] | None = None, allow_empty: bool = False, tol: float = 1e-4) -> np.ndarray:
    """Validate a batch of NCHW images and return it as a float32 numpy array (a copy only when converting).

    :param x: the images, shape (N, C, H, W), floating point.
    :param name: the argument's name, used in error messages.
    :param channels: expected C, or None for any.
    :param value_range: expected ``(min, max)``, or None for any finite values.
    :param shape: expected (C, H, W), or None.
    :param allow_empty: accept N == 0.
    :param tol: slack allowed on the range (float rounding).
    :raises ValueError: on wrong type, rank, channel count, dtype, range, NaN/Inf or an empty batch.
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of shape (N, C, H, W), got {type(x).__name__}.")
    if x.ndim != 4:
        raise ValueError(f"{name} must have 4 dimensions (N, C, H, W), got shape {x.shape}.")
    if not np.issubdtype(x.dtype, np.floating):
        hint = " (convert uint8 images with x / 127.5 - 1)" if x.dtype == np.uint8 else ""
        raise ValueError(f"{name} must be floating point in {value_range}, got dtype {x.dtype}{hint}.")
    if x.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one image, got an empty batch of shape {x.shape}.")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels in axis 1 (NCHW), got shape {x.shape}.")
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} must have per-image shape {tuple(shape)}, got {tuple(x.shape[1:])}.")
    if x.size and not np.isfinite(x).all():
        raise ValueError(f"{name} contains {int((~np.isfinite(x)).sum())} NaN or Inf values.")
    if value_range is not None and x.size:
        lo, hi = float(x.min()), float(x.max())
        if lo < value_range[0] - tol or hi > value_range[1] + tol:
            raise ValueError(
                f"{name} must lie in [{value_range[0]}, {value_range[1]}], got values in [{lo:.4g}, {hi:.4g}]."
            )
    return x.astype(np.float32, copy=False)


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def check_conditions(c: Any, c_dim: int, n: int | None = None, name: str = "conditions") -> np.ndarray:
    """Validate target attributes: shape (c_dim,) for the whole batch or (N, c_dim) per sample.

    :return: a float32 array of shape (c_dim,) or (N, c_dim).
    """
    if c_dim == 0:
        if c is not None:
            raise ValueError(f"{name} must be None for an unconditional model (c_dim=0), got {type(c).__name__}.")
        return np.zeros((0,), dtype=np.float32)
    if c is None:
        raise ValueError(
            f"{name} is required for a conditional model: expected shape (N, {c_dim}) or ({c_dim},), got None."
        )
    c = np.asarray(c)
    if c.dtype == object or not (np.issubdtype(c.dtype, np.number) or c.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {c.dtype}.")
    if c.ndim not in (1, 2) or c.shape[-1] != c_dim:
        raise ValueError(f"{name} must have shape (N, {c_dim}) or ({c_dim},), got {c.shape}.")
    if c.ndim == 2 and n is not None and c.shape[0] != n:
        raise ValueError(f"{name} has {c.shape[0]} rows but x has {n} images; expected ({n}, {c_dim}) or ({c_dim},).")
    c = c.astype(np.float32)
    if not np.isfinite(c).all():
        raise ValueError(f"{name} contains NaN or Inf values.")
    return c


@contextmanager
def unchanged_on_error(obj: Any, names: Iterable[str]) -> Iterator[None]:
    """Give the attributes ``names`` of ``obj`` their values back, in this order, when the block raises
    ``ValueError`` (a ``set_params`` that refuses a value leaves nothing behind)."""
    old = [(name, getattr(obj, name)) for name in names]
    try:
        yield
    except ValueError:
        for name, value in old:
            setattr(obj, name, value)
        raise
