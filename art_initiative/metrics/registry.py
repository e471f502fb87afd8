"""Every metric a benchmark record holds, declared once: its record key, what it compares, its function and the
table columns it appears in.

The harness's measurements (:func:`~art_initiative.benchmark.records.forgery_metrics`,
:func:`~art_initiative.benchmark.records.protection_metrics`), the keys every record has
(:data:`~art_initiative.benchmark.records.RECORD_KEYS`), the Markdown tables, the demo's report and
``art-initiative evaluate`` all read :data:`METRICS`. A new metric is one :class:`Metric` here plus its function
in ``metrics/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from art_initiative.metrics.distortion import defense_success_rate, l1, mse, psnr, ssim
from art_initiative.metrics.perceptual import lpips_distance, perceptual_distance

#: ``fn(a, b, distance, device)``: one number for a batch pair (forgeries of clean / protected inputs, or clean /
#: protected inputs); ``distance`` is the DSR's per-image distance of the task (``"mse"`` or ``"l1"``).
MetricFunction = Callable[[np.ndarray, np.ndarray, str, str], float]

#: The tables that show metrics: the attribute-editing summary (every method's DSR and cost), its eps sweep
#: (Figure 4), the reenactment cost table, the demo's report.
TableName = Literal["attribute_summary", "attribute_sweep", "reenactment_cost", "demo"]


@dataclass(frozen=True)
class Column:
    """Where a metric appears in one table: its place among the table's metric columns, header and format.

    :param fmt: ``"pct"`` (whole percent), ``"pct1"`` (one decimal), ``"fN"`` (N decimals), with ``" dB"`` added
        where the table says so (``"f1 dB"``); ``None`` is shown as ``-``.
    """

    table: TableName
    position: int
    label: str
    fmt: str

    def format(self, value: float | None) -> str:
        """The value as this column prints it (``-`` when missing)."""
        if value is None:
            return "-"
        fmt, _, unit = self.fmt.partition(" ")
        if fmt.startswith("pct"):
            digits = int(fmt[3:] or 0)
            return f"{100 * value:.{digits}f}%"
        text = f"{value:.{int(fmt[1:])}f}"
        return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class Metric:
    """One declared metric.

    :param key: its key in every record (and in ``art-initiative evaluate``'s report).
    :param compares: ``"forgery"``: the forgeries of clean and of protected inputs; ``"protection"``: the clean
        and the protected inputs (the visual cost).
    :param fn: see :data:`MetricFunction`.
    :param network: needs a network's passes (LPIPS, VGG): skipped where a caller asks for the cheap metrics only.
    :param core: one of the keys every record has (:data:`~art_initiative.benchmark.records.RECORD_KEYS`);
        otherwise a key the tasks add after them.
    :param columns: the tables it appears in.
    """

    key: str
    compares: Literal["forgery", "protection"]
    fn: MetricFunction
    network: bool = False
    core: bool = True
    columns: tuple[Column, ...] = ()

    def column(self, table: TableName) -> Column | None:
        """This metric's column in ``table``, or None when that table does not show it."""
        return next((c for c in self.columns if c.table == table), None)


def _dsr(threshold: float) -> MetricFunction:
    def fn(a: np.ndarray, b: np.ndarray, distance: str, device: str) -> float:
        return defense_success_rate(a, b, threshold, distance)

    return fn


def _mean(f: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> MetricFunction:
    def fn(a: np.ndarray, b: np.ndarray, distance: str, device: str) -> float:
        return float(f(a, b).mean())

    return fn


def _on_device(f: Callable[..., np.ndarray]) -> MetricFunction:
    def fn(a: np.ndarray, b: np.ndarray, distance: str, device: str) -> float:
        return float(f(a, b, device=device).mean())

    return fn


METRICS: tuple[Metric, ...] = (
    Metric("dsr", "forgery", _dsr(0.05), columns=(
        Column("attribute_summary", 0, "DSR >0.05", "pct"), Column("attribute_sweep", 4, "DSR >0.05", "pct"),
        Column("demo", 0, "DSR (MSE>0.05)", "pct1"))),
    Metric("dsr_0.02", "forgery", _dsr(0.02), core=False, columns=(
        Column("attribute_summary", 1, "DSR >0.02", "pct"), Column("demo", 1, "DSR (MSE>0.02)", "pct1"))),
    Metric("dsr_0.01", "forgery", _dsr(0.01), core=False, columns=(
        Column("attribute_summary", 2, "DSR >0.01", "pct"), Column("attribute_sweep", 5, "DSR >0.01", "pct"),
        Column("demo", 2, "DSR (MSE>0.01)", "pct1"))),
    Metric("mse", "forgery", _mean(mse), columns=(
        Column("attribute_summary", 3, "MSE", "f4"), Column("attribute_sweep", 1, "MSE", "f4"),
        Column("demo", 3, "MSE of forgeries", "f4"))),
    Metric("l1", "forgery", _mean(l1)),
    Metric("lpips_forgery", "forgery", _on_device(lpips_distance), network=True, columns=(
        Column("attribute_summary", 4, "LPIPS (forgery)", "f4"),
        Column("attribute_sweep", 2, "LPIPS (forgery)", "f4"))),
    Metric("perceptual_forgery", "forgery", _on_device(perceptual_distance), network=True, columns=(
        Column("attribute_sweep", 3, "perceptual", "f3"),)),
    Metric("psnr", "protection", _mean(psnr), columns=(
        Column("attribute_summary", 5, "PSNR", "f1"), Column("attribute_sweep", 0, "PSNR", "f1"),
        Column("reenactment_cost", 0, "PSNR", "f1 dB"), Column("demo", 4, "PSNR protected", "f1 dB"))),
    Metric("ssim", "protection", _mean(ssim), columns=(
        Column("attribute_summary", 6, "SSIM", "f3"), Column("reenactment_cost", 1, "SSIM", "f3"))),
    Metric("lpips_protected", "protection", _on_device(lpips_distance), network=True, columns=(
        Column("attribute_summary", 7, "LPIPS (protected)", "f4"), Column("reenactment_cost", 2, "LPIPS", "f4"))),
)


def metric_columns(table: TableName, metrics: tuple[Metric, ...] | None = None) -> list[tuple[Metric, Column]]:
    """The metrics shown in ``table``, in the table's order, with their column there."""
    found = [(m, c) for m in (METRICS if metrics is None else metrics) if (c := m.column(table)) is not None]
    return sorted(found, key=lambda mc: mc[1].position)


def measure(compares: Literal["forgery", "protection"], a: np.ndarray, b: np.ndarray, distance: str = "mse",
            device: str = "cpu", network: bool = True, metrics: tuple[Metric, ...] | None = None
            ) -> dict[str, float]:
    """Every declared metric of kind ``compares`` on the pair ``(a, b)``, keyed by its record key, in declaration
    order.

    :param distance: the DSR's per-image distance, ``"mse"`` (attribute editing) or ``"l1"`` (reenactment).
    :param network: also the metrics that need a network (LPIPS, VGG).
    """
    if distance not in ("mse", "l1"):
        raise ValueError(f"distance must be 'mse' or 'l1', got {distance!r}.")
    return {m.key: m.fn(a, b, distance, device) for m in (METRICS if metrics is None else metrics)
            if m.compares == compares and (network or not m.network)}
