"""Pixel metrics of the paper's tables, per image, on NCHW arrays in [-1, 1]."""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from art_initiative.utils.validation import check_images


def _pair(x: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("x", "y")) -> tuple[np.ndarray, np.ndarray]:
    x = check_images(x, name=names[0], channels=None)
    y = check_images(y, name=names[1], channels=None)
    if x.shape != y.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {x.shape} and {y.shape}.")
    return x, y


def mse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error per image (the paper's "L2"), shape (N,)."""
    x, y = _pair(x, y)
    return ((x.astype(np.float64) - y) ** 2).reshape(len(x), -1).mean(axis=1)


def l1(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean absolute error per image (the paper's "L1"), shape (N,)."""
    x, y = _pair(x, y)
    return np.abs(x.astype(np.float64) - y).reshape(len(x), -1).mean(axis=1)


def psnr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio in dB per image for [-1, 1] images (peak-to-peak range 2); inf where equal."""
    err = mse(x, y)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(4.0 / err)


def ssim(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Structural similarity per image (scikit-image, Gaussian window), shape (N,)."""
    x, y = _pair(x, y)
    win = min(7, x.shape[2], x.shape[3])
    win -= 1 - win % 2  # odd window, needed for images smaller than 7 pixels
    return np.array([
        structural_similarity(a, b, data_range=2.0, channel_axis=0, win_size=win)
        for a, b in zip(x.astype(np.float64), y.astype(np.float64), strict=True)
    ])


def defense_success_rate(clean_forgery: np.ndarray, infected_forgery: np.ndarray, threshold: float = 0.05,
                         metric: str = "mse") -> float:
    """Share of forgeries that the protection disrupted: distance(y, y') > ``threshold``.

    :param clean_forgery: ``y``, the manipulation model's output for the clean images.
    :param infected_forgery: ``y'``, its output for the protected images (same order).
    :param threshold: 0.05 in the paper.
    :param metric: ``"mse"`` (attribute editing) or ``"l1"`` (reenactment).
    :return: a fraction in [0, 1].
    """
    if metric not in ("mse", "l1"):
        raise ValueError(f"metric must be 'mse' or 'l1', got {metric!r}.")
    if not np.isscalar(threshold) or not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}.")
    dist = (mse if metric == "mse" else l1)(clean_forgery, infected_forgery)
    return float((dist > threshold).mean())
