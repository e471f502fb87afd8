"""What both tasks' protocols share: the initiative variants, the noise control, cached training."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from art_initiative.attacks.initiative.algorithm import RESUMABLE_SETTINGS
from art_initiative.attacks.initiative.base import PerturbationGeneratorDefense
from art_initiative.attacks.initiative.config import InitiativeConfig, make_config
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.training.loop import checkpoint_seconds
from art_initiative.utils.digest import digest, module_digest  # noqa: F401 - digest: the harness's key of data

logger = logging.getLogger(__name__)

# The ablations of the paper: without the alternating training strategy (ATS: PG against a frozen, pre-trained
# SM) and without the task-specific defence enhancement (TDE: eq. 12's previous-SM term for attribute editing,
# the facial mask for reenactment).
# ``initiative_robust``: trained through the online transforms of the robustness suite (EoT, issue #14).
ROBUST_EOT = "jpeg,blur,resize,shift"
INITIATIVE_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "attribute_editing": {"initiative": {}, "initiative_no_ats": {"alternating": False},
                          "initiative_no_tde": {"enhancement": False}, "initiative_robust": {"eot": ROBUST_EOT}},
    "reenactment": {"initiative": {}, "initiative_no_ats": {"alternating": False},
                    "initiative_no_tde": {"mask_outside": 1.0}, "initiative_robust": {"eot": ROBUST_EOT}},
}


#: The paper's defender model (StarGAN's), the attribute harness's default ``surrogate_arch``.
PAPER_SURROGATE = "res6"


def surrogate_suffix(arch: str) -> str:
    """What results files and cached defences of the defender architecture ``arch`` add to their names: nothing
    for the paper's (the names written before the setting existed), else ``-<arch>``."""
    return "" if arch == PAPER_SURROGATE else f"-{arch}"


def weights_digest(model: PyTorchImageTranslator) -> str:
    """:func:`~art_initiative.utils.digest.module_digest` of a model's weights: keys a cached defence by the model
    it starts from (:func:`start_digest`; the reenactment harness's fixed template), so that a retrained public
    model is not met with a stale defence."""
    return module_digest(model.model)


def start_digest(template: PyTorchImageTranslator, config: InitiativeConfig) -> str:
    """The weights digest of the SM a defence with ``config`` starts from: the template's own weights
    (:func:`weights_digest`), or with ``sm_init="fresh"`` (the gray-box protocol) those of its fresh copy, which
    depend on the architecture and the defence's seed only. Keys a cached defence, so that one trained from fresh
    weights is found again whatever weights the template has (a surrogate still training, or an untrained model of
    its architecture), while a retrained public model gets a defence of its own."""
    import torch

    from art_initiative.attacks.initiative.algorithm import fresh_copy

    if config.sm_init != "fresh":
        return weights_digest(template)
    with torch.random.fork_rng():  # fresh_copy seeds the generators: leave the caller's as they were
        return module_digest(fresh_copy(template.model, config.seed))


def pair_scores(model: PyTorchImageTranslator, x: np.ndarray, protected: np.ndarray, domains: list[np.ndarray],
                thresholds: tuple[float, ...] = (0.05, 0.02, 0.01)) -> dict[str, float]:
    """How far ``model``'s forgeries of ``protected`` move from those of ``x``: the MSE per (face, domain) pair over
    ``domains`` (one (N, c_dim) array each), as ``{"mse": mean, "dsr_<t>": share above t for each threshold}``."""
    from art_initiative.metrics import mse

    errors = np.concatenate([mse(model.predict(x, conditions=c), model.predict(protected, conditions=c))
                             for c in domains])
    return {"mse": float(errors.mean()), **{f"dsr_{t:g}": float(np.mean(errors > t)) for t in thresholds}}


def uniform_noise(x: np.ndarray, eps: float, seed: int = 0) -> np.ndarray:
    """The ``random_noise`` control: ``clip(x + U(-eps, eps))`` in [-1, 1], float32."""
    rng = np.random.default_rng(seed)
    return np.clip(x + rng.uniform(-eps, eps, x.shape), -1.0, 1.0).astype(np.float32)


def sign_noise(x: np.ndarray, eps: float, seed: int = 0) -> np.ndarray:
    """The ``sign_noise`` control: ``clip(x + eps * s)`` with a random sign ``s`` per pixel (the full budget)."""
    rng = np.random.default_rng(seed)
    return np.clip(x + eps * rng.choice(np.array([-1.0, 1.0], np.float32), x.shape), -1.0, 1.0).astype(np.float32)


def universal_sign_noise(x: np.ndarray, eps: float, seed: int = 0) -> np.ndarray:
    """The ``universal_sign`` poison: ``clip(x + eps * s)`` with one random sign pattern ``s`` (one sign per pixel
    position) shared by every image, the same shift on every frame that a forger can learn exactly."""
    rng = np.random.default_rng(seed)
    s = rng.choice(np.array([-1.0, 1.0], np.float32), x.shape[1:])
    return np.clip(x + eps * s[None], -1.0, 1.0).astype(np.float32)


def variant_overrides(task: str, method: str, profile: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The defence settings of ``method`` (an :data:`INITIATIVE_VARIANTS` name) on top of ``overrides``.

    Without ATS the SM is trained first: a profile without a warm start gets one as long as PG's training. The
    SM starts from fresh weights (the gray-box protocol: the template's architecture, never weights) unless
    ``overrides`` say otherwise.
    """
    out = {"sm_init": "fresh", **overrides, **INITIATIVE_VARIANTS[task][method]}
    base = make_config(profile, task, **overrides)
    if not out.get("alternating", True) and base.sm_pretrain_iterations == 0:
        out["sm_pretrain_iterations"] = base.iterations
    return out


def cached_defence(cls: type[PerturbationGeneratorDefense], template: PyTorchImageTranslator, profile: str,
                   overrides: dict[str, Any], fit: Callable[[PerturbationGeneratorDefense, str | None], None],
                   stem: str | None, verbose: bool, **kwargs: Any) -> tuple[PerturbationGeneratorDefense, float]:
    """A defence of class ``cls`` trained by ``fit(defence, checkpoint_path)``, or loaded from ``<stem>.pt`` when
    a defence with the same settings was saved there (``stem`` None: always train, keep nothing). ``kwargs`` go to
    the class (e.g. the attribute names of the attribute-editing defence); its ``surrogates``, if any, also to a
    loaded one, so that a cached ensemble defence refines on them as a newly trained one does.

    A defence saved at ``stem`` whose settings differ only in those a run may change when it goes on
    (:data:`~art_initiative.attacks.initiative.algorithm.RESUMABLE_SETTINGS`: more iterations, a decay added) is
    resumed from its training checkpoint ``<stem>-training.pt``. One that differs in any other setting (``--set
    pg_width=64`` on a cache of the profile's PG) is kept: the new defence goes to ``<stem>-s<digest of its
    settings>`` instead, so that the same cache holds both and neither is overwritten.

    :return: the defence and the seconds its training took: those recorded in its training checkpoint
        ``<stem>-training.pt`` (all of its iterations, across resumes) when there is one, else the wall time of
        this call.
    """
    t = time.perf_counter()
    defence = cls(template, profile=profile, verbose=verbose, **kwargs, **overrides)
    if stem is None:
        fit(defence, None)
        return defence, time.perf_counter() - t
    # an ensemble's models go with it (its refinement steps on them); the stem is keyed by them
    models = {"surrogates": kwargs["surrogates"]} if kwargs.get("surrogates") else {}

    def load(path: str) -> PerturbationGeneratorDefense | None:
        return cls.load(path, template, verbose=verbose, **models) if os.path.exists(path) else None

    loaded = load(stem + ".pt")
    wanted = fixed_settings(defence.config)
    if loaded is not None and fixed_settings(loaded.config) != wanted:
        key = hashlib.sha256(json.dumps(wanted, sort_keys=True, default=str).encode()).hexdigest()[:12]
        logger.info("%s.pt holds a defence with other settings (%s); this one is kept in %s-s%s.", stem,
                    config_changes(loaded.config, defence.config, set(wanted)), stem, key)
        stem = f"{stem}-s{key}"
        loaded = load(stem + ".pt")
    training = stem + "-training.pt"
    if loaded is not None:
        if loaded.config == defence.config:
            recorded = checkpoint_seconds(training) if os.path.exists(training) else None
            return loaded, time.perf_counter() - t if recorded is None else recorded
        logger.info("%s.pt was trained with other %s (%s); %s.", stem, "/".join(RESUMABLE_SETTINGS),
                    config_changes(loaded.config, defence.config),
                    "resuming from its training checkpoint" if os.path.exists(training) else "training again")
    fit(defence, training)
    defence.save(stem + ".pt")
    return defence, checkpoint_seconds(training) or time.perf_counter() - t


def fixed_settings(config: Any) -> dict[str, Any]:
    """A defence's settings (a dataclass) but :data:`RESUMABLE_SETTINGS`: what a cached run must share to go on."""
    return {k: v for k, v in asdict(config).items() if k not in RESUMABLE_SETTINGS}


def config_changes(stored: Any, wanted: Any, keys: set[str] | None = None) -> str:
    """``"pg_width: 32 -> 64, ..."`` for the settings (dataclasses) that differ, all or only ``keys``."""
    a, b = asdict(stored), asdict(wanted)
    return ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
                     if a.get(k) != b.get(k) and (keys is None or k in keys))


def check_settings(config: Any, choices: dict[str, tuple[str, ...]], positive: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` naming the setting when a list of ``config`` is empty or holds a value outside its
    ``choices``, or when a ``positive`` count is below 1."""
    for name, allowed in choices.items():
        values = getattr(config, name)
        if not values or any(v not in allowed for v in values):
            raise ValueError(f"{name} must be a non-empty list from {allowed}, got {list(values)}.")
    for name in positive:
        if int(getattr(config, name)) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(config, name)!r}.")
