"""Image grids and figures written as PNG."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image

from art_initiative.data.io import to_uint8_hwc


def save_grid(rows: list[np.ndarray], path: str | os.PathLike, scale: int = 3) -> None:
    """Write rows of NCHW [-1, 1] images (all rows the same length) as one PNG, upscaled ``scale`` times."""
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"rows must be a non-empty list of equally long image batches, got {[len(r) for r in rows]}.")
    img = np.concatenate([np.concatenate(list(r), axis=2) for r in rows], axis=1)
    pil = Image.fromarray(to_uint8_hwc(img))
    pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST).save(os.fspath(path))


def plot_sweep(records: list[dict[str, Any]], path: str | os.PathLike) -> None:
    """Figure 4 of the paper from sweep records: PSNR and MSE, LPIPS and perceptual distance, and DSR against
    eps, one line per method (solid: the left axis' metric, dashed: the right axis')."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not records:
        raise ValueError("records must hold at least one sweep record, got none.")
    methods = list(dict.fromkeys(r["method"] for r in records))
    panels = [("psnr", "PSNR of x' (dB)", "mse", "MSE of forgeries"),
              ("lpips_forgery", "LPIPS of forgeries", "perceptual_forgery", "perceptual distance"),
              ("dsr", "DSR (MSE > 0.05)", "dsr_0.01", "DSR (MSE > 0.01)")]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, (left, left_label, right, right_label) in zip(axes, panels, strict=True):
        twin = ax.twinx()
        for i, m in enumerate(methods):
            rs = sorted((r for r in records if r["method"] == m), key=lambda r: r["eps"])
            eps = [r["eps"] for r in rs]
            colour = f"C{i}"
            ax.plot(eps, [r[left] for r in rs], "o-", color=colour, label=f"{m} ({left_label})")
            twin.plot(eps, [r[right] for r in rs], "s--", color=colour, label=f"{m} ({right_label})")
        if left == "dsr":
            ax.set_ylim(-0.02, 1.02)
            twin.set_ylim(-0.02, 1.02)
        ax.set_xlabel("eps (L-inf, [-1, 1] images)")
        ax.set_ylabel(left_label + " (solid)")
        twin.set_ylabel(right_label + " (dashed)")
    axes[0].legend(loc="upper center", fontsize=7)
    save_figure(fig, path, dpi=110)


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120, tight: bool = True) -> None:
    """Lay out a matplotlib figure (``tight``: ``tight_layout``; False keeps the caller's ``subplots_adjust``, for
    example room for a figure legend), write it to ``path`` (PNG) and close it."""
    import matplotlib.pyplot as plt

    if tight:
        fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=dpi)
    plt.close(fig)
