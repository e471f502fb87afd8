"""The attribute-editing test bed's models: the defender's surrogate (the public model when the forger fine-tunes
one) and the forger's targets, each a StarGAN-like translator trained by the forger's recipe and cached by its
data, seed, recipe and length.

The harness (:mod:`~art_initiative.benchmark.attribute`), the calibration, the robustness suite, the demo and the
scripts under ``benchmarks/`` all take their models from here, so that one cache serves them all: a model trained
for one of them is read back, not trained again, by the others. The defender's model is trained on the defender's
faces with seed ``cfg.seed + 1``; each forger's target on the forger's faces with seed ``cfg.seed + 2``, from random
weights (the paper's protocol) or, with ``forger_start="public"``, fine-tuned from the defender's model.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING, Any

import numpy as np

from art_initiative.benchmark.common import digest
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.training import train_stargan
from art_initiative.training.stargan import STARGAN_UNET_NORM

if TYPE_CHECKING:
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, AttributeData

logger = logging.getLogger(__name__)

# How the forger trains its StarGAN targets (and the baseline's surrogate). ``stargan``: StarGAN's own recipe (WGAN-GP,
# attribute classification and cycle reconstruction; no identity term, n_critic 5, lr 1e-4, a discriminator as
# wide as StarGAN's). ``hardened``: the recipe of the first benchmarks, with an identity term that makes a small
# target translate sooner but also makes it far more robust than the StarGANs the paper attacked (kept as a
# labelled extra row, never the default). The harness's ``disc_width`` and ``target_iterations`` complete a recipe.
FORGER_RECIPES: dict[str, dict[str, float | int]] = {
    "stargan": {"lambda_id": 0.0, "n_critic": 5, "g_lr": 1e-4, "d_lr": 1e-4},
    "hardened": {"lambda_id": 10.0, "n_critic": 2, "g_lr": 2e-4, "d_lr": 2e-4},
}


def forger_recipe(cfg: AttributeBenchmarkConfig) -> dict[str, Any]:
    """Every setting with which the forger trains a target (written into each results file)."""
    return {"recipe": cfg.recipe, **FORGER_RECIPES[cfg.recipe], "iterations": cfg.target_iterations,
            "image_size": cfg.image_size, "width": cfg.width, "disc_width": cfg.disc_width, "batch_size": 16}


def target_path(x: np.ndarray, labels: np.ndarray, arch: str, seed: int, cfg: AttributeBenchmarkConfig,
                cache_dir: str | None, iterations: int | None = None, init_from: str | None = None) -> str | None:
    """Where :func:`train_target` keeps a target: keyed by architecture, data, seed, every recipe setting, the
    number of iterations and, for a fine-tuned target, the model it started from."""
    if cache_dir is None:
        return None
    recipe = forger_recipe(cfg)
    items = sorted((k, v) for k, v in recipe.items() if k != "iterations")
    if arch.startswith("unet"):  # train_stargan's U-Nets (InstanceNorm): not the BatchNorm ones of before
        items.append(("unet_norm", STARGAN_UNET_NORM))
    key = digest(np.frombuffer(repr(items).encode(), dtype=np.uint8))
    start = "" if init_from is None else "-ft" + digest(np.frombuffer(os.path.basename(init_from).encode(), np.uint8))
    return os.path.join(cache_dir, f"stargan-{arch}-c{labels.shape[1]}-{key}-s{seed}-{digest(x, labels)}{start}-"
                                   f"it{iterations or cfg.target_iterations}.pt")


def _continue_from_shorter(path: str) -> None:
    """Start ``<stem>-it<N>.pt`` from the longest cached run of the same target with fewer iterations, if any (its
    training continues from there, exactly as an uninterrupted run would)."""
    stem, wanted = path[:-3].rsplit("-it", 1)
    prefix = os.path.basename(stem) + "-it"
    shorter = []
    if not os.path.isdir(os.path.dirname(path) or "."):  # a new cache folder: nothing to continue
        return
    for name in os.listdir(os.path.dirname(path) or "."):
        count = name[len(prefix):-3]
        if name.startswith(prefix) and name.endswith(".pt") and count.isdigit() and int(count) < int(wanted):
            shorter.append((int(count), os.path.join(os.path.dirname(path), name)))
    if shorter:
        n, source = max(shorter)
        logger.info("continuing %s from its %d-iteration run", path, n)
        shutil.copyfile(source, path + ".tmp")
        os.replace(path + ".tmp", path)


def train_target(x: np.ndarray, labels: np.ndarray, arch: str, seed: int, cfg: AttributeBenchmarkConfig,
                 device_type: str, cache_dir: str | None, iterations: int | None = None,
                 verbose: bool = False, init_from: str | None = None) -> PyTorchImageTranslator:
    """A StarGAN-like ``arch`` trained by the forger's recipe (``cfg.recipe``) on ``x`` with ``labels``, for
    ``iterations`` (default ``cfg.target_iterations``); cached in ``cache_dir`` (:func:`target_path`). A longer run
    continues the longest shorter one cached, so runs at growing budgets give a curve at the cost of the longest.

    :param init_from: fine-tune this :func:`train_stargan` checkpoint (a public model) instead of starting from
        random weights.
    """
    recipe = forger_recipe(cfg)
    settings = {k: recipe[k] for k in ("lambda_id", "n_critic", "g_lr", "d_lr")}
    path = target_path(x, labels, arch, seed, cfg, cache_dir, iterations, init_from)
    if path is not None and not os.path.exists(path):
        _continue_from_shorter(path)
    return train_stargan(x, labels, arch=arch, width=cfg.width, disc_width=cfg.disc_width,
                         iterations=iterations or cfg.target_iterations, seed=seed, device_type=device_type,
                         checkpoint_path=path, checkpoint_every=500, verbose=verbose, init_from=init_from, **settings)


def defender_surrogate(split: AttributeData, cfg: AttributeBenchmarkConfig, device_type: str,
                       cache_dir: str | None, verbose: bool = False) -> PyTorchImageTranslator:
    """The defender's ``cfg.surrogate_arch`` (``res6``) on its own faces with the SD attributes: the baseline's
    surrogate, the defence's template and, with ``forger_start="public"``, the public model (``verbose``: a progress
    bar while it trains)."""
    (xd, ld), sd = split.defender, split.columns("SD")
    return train_target(xd, ld[:, sd], cfg.surrogate_arch, cfg.seed + 1, cfg, device_type, cache_dir,
                        verbose=verbose)


def defender_surrogate_path(split: AttributeData, cfg: AttributeBenchmarkConfig, cache_dir: str | None) -> str | None:
    """Where :func:`defender_surrogate` keeps its checkpoint (None without ``cache_dir``)."""
    (xd, ld), sd = split.defender, split.columns("SD")
    return target_path(xd, ld[:, sd], cfg.surrogate_arch, cfg.seed + 1, cfg, cache_dir)


def public_model(split: AttributeData, cfg: AttributeBenchmarkConfig, cache_dir: str | None) -> str | None:
    """The checkpoint the forger fine-tunes with ``forger_start="public"`` (:func:`defender_surrogate`'s), else
    None."""
    if cfg.forger_start != "public":
        return None
    path = defender_surrogate_path(split, cfg, cache_dir)
    if path is None:
        raise ValueError("forger_start='public' needs a cache_dir (the forger fine-tunes the public checkpoint).")
    return path


def _forger_settings(split: AttributeData, cfg: AttributeBenchmarkConfig, arch: str, setting: str,
                     cache_dir: str | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    (xf, lf), public = split.forger, public_model(split, cfg, cache_dir)
    args = (xf, lf[:, split.columns(setting)], arch, cfg.seed + 2, cfg)
    if public is None:
        return args, dict(iterations=None, init_from=None)
    if arch != cfg.surrogate_arch:  # another architecture cannot start from the public model: from scratch
        return args, dict(iterations=cfg.blackbox_iterations or cfg.target_iterations, init_from=None)
    return args, dict(iterations=cfg.finetune_iterations, init_from=public)



def forger_target(split: AttributeData, cfg: AttributeBenchmarkConfig, arch: str, setting: str, device_type: str,
                  cache_dir: str | None, verbose: bool = False) -> PyTorchImageTranslator:
    """The forger's ``arch`` target for the ``setting`` domains, as the harness trains it: on the forger's faces
    from random weights, or fine-tuned from :func:`public_model` (``verbose``: a progress bar while it trains)."""
    return forger_target_and_training(split, cfg, arch, setting, device_type, cache_dir, verbose)[0]


def forger_target_and_training(split: AttributeData, cfg: AttributeBenchmarkConfig, arch: str, setting: str,
                                device_type: str, cache_dir: str | None, verbose: bool = False
                                ) -> tuple[PyTorchImageTranslator, dict[str, Any]]:
    """:func:`forger_target` and how the forger obtained it (written into each record): ``target_init``
    (``"scratch"`` or ``"public"``, fine-tuned) and ``target_trained_iterations``."""
    args, kwargs = _forger_settings(split, cfg, arch, setting, cache_dir)
    target = train_target(*args, device_type, cache_dir, verbose=verbose, **kwargs)
    return target, {"target_init": "scratch" if kwargs["init_from"] is None else "public",
                    "target_trained_iterations": kwargs["iterations"] or cfg.target_iterations}


def forger_target_path(split: AttributeData, cfg: AttributeBenchmarkConfig, arch: str, setting: str,
                       cache_dir: str | None) -> str | None:
    """Where :func:`forger_target` keeps that target's checkpoint (None without ``cache_dir``)."""
    args, kwargs = _forger_settings(split, cfg, arch, setting, cache_dir)
    return target_path(*args, cache_dir, **kwargs)
