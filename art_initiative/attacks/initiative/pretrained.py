"""Shipped perturbation generators: small PG weights inside the package (``art_initiative/weights/``), each a
``<name>.safetensors`` file (weights only, nothing that runs on load) with ``<name>.json`` beside it (the
defence's config, the input shape, and where the weights came from and what they were measured to do).

:func:`export_pretrained` writes such a pair from a trained defence (``benchmarks/ship_weights.py`` does it for
the shipped ones); :func:`load_pretrained` reads one back, checking the config against the weights.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from art_initiative.attacks.initiative.config import InitiativeConfig

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "weights")
FORMAT = "art_initiative-pretrained-v1"


def available(weights_dir: str | os.PathLike = WEIGHTS_DIR) -> dict[str, dict[str, Any]]:
    """The shipped generators by name, each with its metadata (the ``.json``)."""
    out: dict[str, dict[str, Any]] = {}
    if not os.path.isdir(weights_dir):
        return out
    for entry in sorted(os.listdir(weights_dir)):
        stem, ext = os.path.splitext(entry)
        if ext == ".json" and os.path.isfile(os.path.join(weights_dir, stem + ".safetensors")):
            with open(os.path.join(weights_dir, entry), encoding="utf-8") as fh:
                meta = json.load(fh)
            if meta.get("format") == FORMAT:
                out[stem] = meta
    return out


def default_for(task: str, input_shape: tuple[int, ...] | None = None,
                weights_dir: str | os.PathLike = WEIGHTS_DIR) -> str | None:
    """The name of the shipped generator for ``task`` (at ``input_shape`` (C, H, W) when given), the one marked
    default when several apply, or None."""
    fits = [(not meta.get("default", False), name) for name, meta in available(weights_dir).items()
            if meta["config"]["task"] == task and (input_shape is None or meta["input_shape"] == list(input_shape))]
    return min(fits)[1] if fits else None


def export_pretrained(path_stem: str | os.PathLike, pg: torch.nn.Module, config: InitiativeConfig,
                      input_shape: tuple[int, ...], clip_values: tuple[float, float], provenance: dict[str, Any],
                      extra: dict[str, Any] | None = None, default: bool = False) -> None:
    """Write ``<path_stem>.safetensors`` (PG's weights) and ``<path_stem>.json`` (config, input shape, clip values,
    ``extra`` settings such as attribute names, ``provenance``: command, data, results, measured protection).

    :raises FileExistsError: either file exists (shipped weights are never overwritten by accident).
    """
    stem = os.fspath(path_stem)
    for suffix in (".safetensors", ".json"):
        if os.path.exists(stem + suffix):
            raise FileExistsError(f"refusing to overwrite {stem + suffix}")
    meta = {"format": FORMAT, "config": asdict(config), "input_shape": list(input_shape),
            "clip_values": [float(v) for v in clip_values], "extra": extra or {}, "provenance": provenance,
            "default": bool(default)}
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in pg.state_dict().items()}
    save_file(tensors, stem + ".safetensors.tmp", metadata={"format": FORMAT, "task": config.task})
    os.replace(stem + ".safetensors.tmp", stem + ".safetensors")
    with open(stem + ".json.tmp", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2)
    os.replace(stem + ".json.tmp", stem + ".json")


def load_pretrained(name: str, weights_dir: str | os.PathLike = WEIGHTS_DIR
                    ) -> tuple[InitiativeConfig, dict[str, torch.Tensor], dict[str, Any]]:
    """The config, PG state dict and metadata of shipped generator ``name``.

    :raises ValueError: an unknown name (the shipped ones are listed), or a file that is not a shipped generator.
    """
    names = available(weights_dir)
    if name not in names:
        raise ValueError(f"no shipped perturbation generator named {name!r}; available: {sorted(names) or 'none'}.")
    meta = names[name]
    known = {f.name for f in fields(InitiativeConfig)}
    unknown = set(meta["config"]) - known
    if unknown:
        raise ValueError(f"{name}: its config has settings this version does not know: {sorted(unknown)}.")
    config = InitiativeConfig(**meta["config"]).validate()
    state = load_file(os.path.join(weights_dir, name + ".safetensors"))
    return config, state, meta
