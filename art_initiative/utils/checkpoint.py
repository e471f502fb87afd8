"""Checkpoints that load safely: tensors and plain values only, written atomically, config checked on load.

A checkpoint is one ``.pt`` file holding ``{"config", "state", "modules", "optimizers"}`` readable with
``torch.load(..., weights_only=True)`` (no pickled code), plus a ``.json`` file beside it with the config and
the training state for people and scripts to read.
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch


def _atomic_write(path: str, write: Any) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _jsonable(config: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so that what is compared on load is exactly what was stored (tuples -> lists).
    return json.loads(json.dumps(config))


def save_checkpoint(path: str | os.PathLike, config: dict[str, Any], modules: dict[str, torch.nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer] | None = None,
                    state: dict[str, Any] | None = None) -> None:
    """Write a checkpoint atomically to ``path`` (``.pt``) and its ``.json`` sidecar.

    :param config: JSON-serialisable settings that define the run (checked by :func:`load_checkpoint`).
    :param modules: networks by name.
    :param optimizers: optimizers by name.
    :param state: JSON-serialisable progress (iteration, best score...).
    """
    path = os.fspath(path)
    payload = {
        "format": "art_initiative-checkpoint-v1",
        "config": json.dumps(_jsonable(config)),
        "state": json.dumps(state or {}),
        "modules": {k: {n: t.detach().cpu() for n, t in m.state_dict().items()} for k, m in modules.items()},
        "optimizers": {k: o.state_dict() for k, o in (optimizers or {}).items()},
    }
    _atomic_write(path, lambda tmp: torch.save(payload, tmp))
    sidecar = {"config": _jsonable(config), "state": state or {}}
    _atomic_write(os.path.splitext(path)[0] + ".json",
                  lambda tmp: open(tmp, "w", encoding="utf-8").write(json.dumps(sidecar, indent=2)))


def load_checkpoint(path: str | os.PathLike, expected_config: dict[str, Any] | None = None,
                    ignore: tuple[str, ...] = (), defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``.

    :param expected_config: when given, every key (except ``ignore``) must match the stored config.
    :param defaults: values of settings added after a checkpoint was written: a key the stored config lacks
        compares as its default here (so an older run resumes when the new setting keeps its default).
    :return: ``{"config", "state", "modules", "optimizers"}``.
    :raises FileNotFoundError: no file at ``path``.
    :raises ValueError: not a checkpoint of this package, or a config mismatch (the keys are listed).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # corrupt or foreign file
        raise ValueError(f"{path} is not a readable checkpoint ({type(err).__name__}: {err}).") from err
    if not isinstance(payload, dict) or payload.get("format") != "art_initiative-checkpoint-v1":
        raise ValueError(f"{path} is not an art_initiative checkpoint.")
    out = {"config": json.loads(payload["config"]), "state": json.loads(payload["state"]),
           "modules": payload["modules"], "optimizers": payload["optimizers"]}
    if expected_config is not None:
        want = _jsonable(expected_config)
        stored = {**_jsonable({k: v for k, v in (defaults or {}).items() if k not in out["config"]}), **out["config"]}
        diff = sorted(k for k in set(want) | set(stored) if k not in ignore and want.get(k) != stored.get(k))
        if diff:
            details = ", ".join(f"{k}: stored {stored.get(k)!r} vs requested {want.get(k)!r}" for k in diff)
            raise ValueError(f"checkpoint {path} was made with another config ({details}).")
    return out


def restore(checkpoint: dict[str, Any], modules: dict[str, torch.nn.Module],
            optimizers: dict[str, torch.optim.Optimizer] | None = None) -> None:
    """Load the stored weights (and optimizer states) into ``modules`` and ``optimizers``."""
    for name, module in modules.items():
        if name not in checkpoint["modules"]:
            raise ValueError(f"checkpoint has no module {name!r} (has {sorted(checkpoint['modules'])}).")
        module.load_state_dict(checkpoint["modules"][name])
    for name, opt in (optimizers or {}).items():
        if name not in checkpoint["optimizers"]:
            raise ValueError(f"checkpoint has no optimizer {name!r}.")
        opt.load_state_dict(checkpoint["optimizers"][name])
