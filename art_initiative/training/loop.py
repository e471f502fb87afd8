"""The training loop shared by every recipe: resume, progress bar, callback and atomic checkpoints."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, fields
from typing import Any

import torch
from tqdm.auto import trange

from art_initiative.training import distributed
from art_initiative.utils.checkpoint import load_checkpoint, restore, save_checkpoint

logger = logging.getLogger(__name__)


def resolve_device(device_type: str) -> torch.device:
    """``"gpu"``: CUDA when available, else the CPU (as ART's estimators do); ``"cpu"``: the CPU. Under
    ``torchrun`` this joins the process group and gives this rank's GPU
    (:func:`~art_initiative.training.distributed.training_device`)."""
    return distributed.training_device(device_type)


def run_training(name: str, config: Any, modules: dict[str, torch.nn.Module],
                 optimizers: dict[str, torch.optim.Optimizer], step: Callable[[int], dict[str, float]],
                 iterations: int, checkpoint_path: str | os.PathLike | None = None, checkpoint_every: int = 1000,
                 resume: bool = True, verbose: bool = True,
                 callback: Callable[[int, dict[str, float]], None] | None = None,
                 extra_state: dict[str, Any] | None = None, ignore: tuple[str, ...] = ("iterations",),
                 check_resume: Callable[[dict[str, Any], int], None] | None = None) -> dict[str, float]:
    """Call ``step(iteration)`` for every iteration not done yet and return the last losses.

    :param name: shown on the progress bar.
    :param config: the run's settings (a dataclass); stored with every checkpoint and checked on resume
        (all fields but ``ignore`` must match; a field the checkpoint predates counts as its default).
    :param modules: networks to checkpoint, by name.
    :param optimizers: their optimizers, by name.
    :param step: one training iteration; returns its losses by name.
    :param checkpoint_path: ``.pt`` file written every ``checkpoint_every`` iterations and at the end.
    :param resume: continue from an existing checkpoint at ``checkpoint_path``.
    :param callback: called as ``callback(iteration, losses)`` after each iteration.
    :param extra_state: JSON-serialisable values the step keeps between iterations (best score...): saved with
        each checkpoint and updated in place on resume.
    :param ignore: config fields that may differ on resume.
    :param check_resume: called as ``check_resume(stored_config, done_iterations)`` before a checkpoint is resumed;
        it raises ``ValueError`` when the run cannot go on from there with ``config`` (an ``ignore`` field that
        matters for the iterations already trained).

    Each checkpoint's state also records ``seconds``: the training time of all its iterations, across resumes
    (:func:`checkpoint_seconds` reads it).

    Under ``torchrun`` (:mod:`~art_initiative.training.distributed`) every rank runs this loop: the ranks start
    from rank 0's weights, buffers follow rank 0 after every iteration, the returned and recorded losses are the
    means over the ranks, and only rank 0 writes checkpoints (the others wait for it) and shows the progress bar.
    """
    start, seconds_before = 0, 0.0
    ckpt = None if checkpoint_path is None else os.fspath(checkpoint_path)
    if ckpt and resume and os.path.isfile(ckpt):
        defaults = {f.name: f.default for f in fields(config) if f.default is not MISSING}
        stored = load_checkpoint(ckpt, asdict(config), ignore=ignore, defaults=defaults)
        if check_resume is not None:
            check_resume(stored["config"], int(stored["state"]["iteration"]))
        restore(stored, modules, optimizers)
        start = int(stored["state"]["iteration"])
        if start > iterations:
            raise ValueError(f"checkpoint {ckpt} holds {start} iterations of {name}, more than the {iterations} "
                             f"asked for: ask for at least {start} or use another checkpoint path.")
        seconds_before = float(stored["state"].get("seconds", 0.0))
        if extra_state is not None:
            extra_state.update(stored["state"].get("extra", {}))
        logger.info("resumed %s from %s at iteration %d", name, ckpt, start)
    distributed.broadcast_modules(modules.values())
    main = distributed.is_main()
    progress = trange(start, iterations, desc=name, disable=not (verbose and main), initial=start, total=iterations)
    losses: dict[str, float] = {}
    t0 = time.perf_counter()
    for it in progress:
        losses = step(it)
        distributed.broadcast_modules(modules.values(), buffers_only=True)
        losses = distributed.mean_losses(losses)
        if callback is not None:
            callback(it, losses)
        if verbose and it % 50 == 0:
            progress.set_postfix({k: f"{v:.3g}" for k, v in list(losses.items())[:4]})
        if ckpt and ((it + 1) % checkpoint_every == 0 or it + 1 == iterations):
            state = {"iteration": it + 1, "losses": losses, "extra": dict(extra_state or {}),
                     "seconds": seconds_before + time.perf_counter() - t0}
            if main:
                save_checkpoint(ckpt, asdict(config), modules, optimizers, state)
            distributed.barrier()
    return losses


def checkpoint_seconds(path: str | os.PathLike) -> float | None:
    """The training seconds recorded in a :func:`run_training` checkpoint (None for one written before they were)."""
    seconds = load_checkpoint(path)["state"].get("seconds")
    return None if seconds is None else float(seconds)
