"""One benchmark record per (method, setting, eps): the keys every results file shares, and the measurements.

A record is a flat dict with the keys of :data:`RECORD_KEYS` (values ``None`` where a measurement does not
apply, e.g. ``domains`` for reenactment) and, after them, any extra keys a task adds (``dsr_0.02``, ...).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from art_initiative.metrics.registry import METRICS, measure

if TYPE_CHECKING:
    from art_initiative.attacks.initiative.base import InitiativeDefense

#: The keys every record has: what it is, then the core metrics of :data:`~art_initiative.metrics.registry.METRICS`
#: (``dsr``, ``mse``, ``l1``, ``lpips_forgery``, ``perceptual_forgery``, ``psnr``, ``ssim``, ``lpips_protected``),
#: then the timing and memory.
RECORD_KEYS = ("task", "data", "profile", "device", "method", "target", "domains", "eps", "n_images",
               *(m.key for m in METRICS if m.core), "seconds_per_image", "peak_memory_mb")


def make_record(**values: Any) -> dict[str, Any]:
    """A record with every key of :data:`RECORD_KEYS` first (missing ones ``None``), then the extra keys."""
    record = {k: values.pop(k, None) for k in RECORD_KEYS}
    record.update(values)
    return record


def learned_defence_info(defence: InitiativeDefense, setup_seconds: float) -> dict[str, Any]:
    """What a record says of a learned PG's setup: its training time, ``pg_best`` and every setting it was trained
    with (``defence_config``: profile defaults change, records must not)."""
    return {"setup_seconds": setup_seconds, "pg_best": defence.best, "defence_config": asdict(defence.config)}


def record_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a record within one results file: (method, target, domains, eps, part of a sweep)."""
    return record["method"], record["target"], record["domains"], record["eps"], bool(record.get("sweep"))


def merge_records(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]],
                  key: Callable[[dict[str, Any]], tuple[Any, ...]] = record_key) -> list[dict[str, Any]]:
    """``old`` with the records of ``new`` added; a new record replaces an old one with the same ``key``."""
    merged = {key(r): r for r in old}
    merged.update({key(r): r for r in new})
    return list(merged.values())


def load_records(path: str | os.PathLike, keys: tuple[str, ...] = RECORD_KEYS) -> list[dict[str, Any]]:
    """The records of a results JSON file (a list of records with at least ``keys``), or ``[]`` when the file does
    not exist."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        records = json.load(f)
    if not isinstance(records, list) or not all(isinstance(r, dict) and set(keys) <= set(r) for r in records):
        raise ValueError(f"{os.fspath(path)!r} is not a results file: expected a JSON list of records with the "
                         f"keys {keys}.")
    return records


def forgery_metrics(clean_forgery: np.ndarray, infected_forgery: np.ndarray, metric: str = "mse",
                    device: str = "cpu", perceptual: bool = True) -> dict[str, float]:
    """How far the forgeries of protected inputs are from those of clean inputs: every ``"forgery"`` metric of
    :data:`~art_initiative.metrics.registry.METRICS` (the paper's DSR, L1, L2, LPIPS and VGG perceptual distance,
    and the DSR at thresholds 0.02 and 0.01).

    :param metric: the DSR's distance: ``"mse"`` (attribute editing) or ``"l1"`` (reenactment).
    :param perceptual: also the metrics that need a network, LPIPS and the VGG distance (their passes are most of
        the cost).
    """
    return measure("forgery", clean_forgery, infected_forgery, distance=metric, device=device, network=perceptual)


def protection_metrics(x: np.ndarray, x_protected: np.ndarray, device: str = "cpu", perceptual: bool = True
                       ) -> dict[str, float]:
    """Visual cost of a protection: every ``"protection"`` metric of
    :data:`~art_initiative.metrics.registry.METRICS` (mean PSNR, SSIM and LPIPS between the clean and the
    protected images).

    :param perceptual: also LPIPS, which needs a network (and its ImageNet trunk weights, installed by ``make``)."""
    return measure("protection", x, x_protected, device=device, network=perceptual)


def timed_protection(protect: Callable[[np.ndarray], np.ndarray], x: np.ndarray, repeats: int = 3
                     ) -> tuple[np.ndarray, float]:
    """``protect(x)`` and the median over ``repeats`` runs (after one warm-up run) of its wall time per image."""
    protect(x[:1])
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t = time.perf_counter()
        out = protect(x)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times) / len(x)


def seconds_per_image(protect: Callable[[np.ndarray], np.ndarray], x: np.ndarray, repeats: int = 3) -> float:
    """Median over ``repeats`` runs (after one warm-up run) of the wall time of ``protect(x)``, per image."""
    return timed_protection(protect, x, repeats)[1]


def peak_memory_mb(device: torch.device | str = "cpu") -> float:
    """Peak memory so far in MiB: CUDA memory allocated by torch on a GPU, else the process's peak RSS (Linux)."""
    if torch.device(device).type == "cuda":
        return torch.cuda.max_memory_allocated() / 2 ** 20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def device_name(device: torch.device | str) -> str:
    """``"cpu"`` or the CUDA device's name."""
    device = torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
