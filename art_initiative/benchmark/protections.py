"""What each attribute-editing method publishes, computed without the forger's target: one protected image per
face.

``initiative``, its ablations and its robust variant ``initiative_robust`` (trained through JPEG, blur, resizing and
shifts, see :mod:`art_initiative.preprocessing.eot`) train a PG on the defender's faces, or read it back from the
harness's cache (:func:`trained_defence`), and publish one forward pass of it; ``initiative_sign`` publishes the PG
of ``initiative`` saturated (``clip(x + eps sign(PG(x)))``, no training of its own), ``initiative_refined`` the same
PG followed by ``refine_steps`` signed-gradient steps of size eps / ``refine_steps`` on the surrogate from PG's
output, jointly over the five domains (:mod:`~art_initiative.attacks.initiative.refine`; not the paper's);
``universal`` one pattern for every face. The per-image baselines attack the surrogate (:func:`baseline_protection`):
Ruiz et al.'s ``ruiz_pgd``, ``ruiz_ifgsm``, ``ruiz_fgsm`` and their blur-robust PGD ``ruiz_pgd_blur`` jointly over
the surrogate's five domains; ART's ``BasicIterativeMethod`` (``art_bim``) and stock ``torchattacks.PGD``
(``torchattacks_pgd``) one surrogate domain per face in turn (they attack one class at a time).
``random_noise`` adds uniform noise of the same L-inf size, ``sign_noise`` noise of the full budget (every pixel
moved by +-eps); ``none`` publishes the face. The harness (:mod:`~art_initiative.benchmark.attribute`) times each
and scores it on the targets; the robustness suite publishes through the same function.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from art_initiative.attacks import InitiativeDefense, RuizDisruption, generate_with_art
from art_initiative.attacks.initiative.attribute import surrogate_digests
from art_initiative.attacks.initiative.config import InitiativeConfig, make_config
from art_initiative.attacks.references import jittered_reference
from art_initiative.attacks.torchattacks_compat import DisruptionLogits
from art_initiative.attacks.universal import UniversalDisruption
from art_initiative.benchmark.common import (
    INITIATIVE_VARIANTS,
    cached_defence,
    digest,
    sign_noise,
    start_digest,
    surrogate_suffix,
    uniform_noise,
    variant_overrides,
)
from art_initiative.benchmark.records import learned_defence_info
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.training import load_stargan

if TYPE_CHECKING:
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, AttributeData

_VARIANTS = INITIATIVE_VARIANTS["attribute_editing"]
_RUIZ = {"ruiz_pgd": "pgd", "ruiz_ifgsm": "ifgsm", "ruiz_fgsm": "fgsm", "ruiz_pgd_blur": "pgd"}
_BASELINES = (*_RUIZ, "art_bim", "torchattacks_pgd")
_SHARED_PG = ("initiative_sign", "initiative_refined")  # published from the PG of ``initiative``
#: Every method this module publishes (the harness's methods but ``whitebox_pgd``, which needs the target).
PUBLISHED_METHODS = (*_VARIANTS, *_SHARED_PG, *_BASELINES, "universal", "random_noise", "sign_noise", "none")
# Ruiz et al.'s blur-robust ("spread-spectrum") variant: each PGD step averages the loss over the unblurred input
# and these Gaussian blurs (the sigmas of the robustness suite).
RUIZ_BLUR_SIGMAS = (0.5, 1.0, 1.5)


def defence_training_faces(split: AttributeData, cfg: AttributeBenchmarkConfig) -> tuple[np.ndarray, np.ndarray]:
    """The faces and labels (every column) that the learned defence and the ``universal`` control train on: the
    defender's split, or ``cfg.defence_faces`` of them (see
    :class:`~art_initiative.benchmark.attribute.AttributeBenchmarkConfig`).

    :raises ValueError: more faces than the defender's split on data that cannot render more (franck).
    """
    xd, ld = split.defender
    n = cfg.defence_faces
    if n is None or n == len(xd):
        return xd, ld
    if n < len(xd):
        return xd[:n], ld[:n]
    if split.faces is None:
        raise ValueError(f"defence_faces above the defender's split ({len(xd)} faces) needs synthetic data, which "
                         f"can render more; got defence_faces={n} on a data source with a fixed split.")
    if n not in split.extra_faces:
        test = split.faces  # the extra faces continue the data set's stream after the test split
        extra = SyntheticFaces(n - len(xd), test.image_size, seed=test.seed, attributes=test.attributes,
                               offset=test.offset + len(test))
        xe, le = extra.arrays(n_jobs=cfg.n_jobs)
        split.extra_faces[n] = np.concatenate([xd, xe]), np.concatenate([ld, le])
    return split.extra_faces[n]


def defence_overrides(method: str, cfg: AttributeBenchmarkConfig) -> dict[str, Any]:
    """The settings that replace ``cfg.profile``'s for the learned variant ``method`` (``initiative``,
    ``initiative_no_ats``, ``initiative_no_tde``): the scenario's, then ``cfg.defence``, the budget and the variant's.

    The paper's protocol: the surrogate is only the architecture template, the defence trains its own SM from fresh
    weights. With a public model, the defence starts from it as the forger does.
    """
    public = {"sm_init": "estimator", "sm_pretrain_iterations": 500, "augment_shift": 0} \
        if cfg.forger_start == "public" else {}
    return variant_overrides("attribute_editing", method, cfg.profile, {**public, **cfg.defence, "eps": cfg.eps})


def defence_config(method: str, cfg: AttributeBenchmarkConfig) -> InitiativeConfig:
    """Every setting the learned variant ``method`` trains with in ``cfg``: ``cfg.profile``'s with
    :func:`defence_overrides`."""
    return make_config(cfg.profile, "attribute_editing", **defence_overrides(method, cfg))


def trained_defence(method: str, x: np.ndarray, labels: np.ndarray, attributes: tuple[str, ...],
                    surrogate: PyTorchImageTranslator, cfg: AttributeBenchmarkConfig, cache_dir: str | None,
                    verbose: bool) -> tuple[InitiativeDefense, float]:
    """The learned variant ``method`` trained on the faces ``x`` and their ``labels`` (the columns of
    ``attributes``), starting from ``surrogate`` as :func:`defence_overrides` says, with the seconds its training
    took; read back from ``cache_dir`` when a defence of the same faces, starting model, further surrogates and
    settings is there (a longer run resumes it), else trained and saved there (None: kept nowhere)."""
    overrides = defence_overrides(method, cfg)
    scenario = ("-public" if cfg.forger_start == "public" else "") + surrogate_suffix(cfg.surrogate_arch)
    device = "gpu" if surrogate.device.type == "cuda" else "cpu"
    others = [load_stargan(path, device) for path in cfg.defence_surrogates]
    ensemble = "" if not others else "-e" + digest(np.frombuffer(surrogate_digests(others).encode(), np.uint8))
    # keyed by the training faces, by the weights the defence's SM starts from (the public model's, or the fresh ones
    # of the surrogate's architecture in the paper's protocol) and by the further surrogates it is trained against
    start = start_digest(surrogate, defence_config(method, cfg))
    stem = None if cache_dir is None else os.path.join(cache_dir, f"{method}-{cfg.profile}-eps{cfg.eps:g}-"
                                                                  f"{digest(x, labels)}-m{start}"
                                                                  f"{ensemble}{scenario}")
    return cached_defence(InitiativeDefense, surrogate, cfg.profile, overrides,
                          lambda d, path: d.fit(x, labels, checkpoint_path=path), stem, verbose,
                          attributes=attributes, **({"surrogates": others} if others else {}))


Protection = Callable[[np.ndarray, np.ndarray], np.ndarray]


def method_protection(method: str, split: AttributeData, cfg: AttributeBenchmarkConfig,
                      surrogate: PyTorchImageTranslator, cache_dir: str | None, verbose: bool,
                      trained: dict[str, tuple[InitiativeDefense, float]] | None = None
                      ) -> tuple[Protection | None, dict[str, Any], InitiativeDefense | None]:
    """What ``method`` publishes, computed without the target: a function of (faces, their SD labels) that returns
    the protected faces (None for ``none``), what the records say of its setup (a learned PG's training time,
    ``pg_best`` and every setting it was trained with, ``defence_config``) and, for an initiative variant, its
    trained defence (trained or loaded from ``cache_dir``).

    :param trained: the defences of this run so far, by variant, with their training seconds: a variant found
        there is reused (``initiative_sign`` and ``initiative_refined`` share the PG of ``initiative``), one
        trained here is added.
    :raises ValueError: ``whitebox_pgd`` (it needs the target) or an unknown method.
    """
    if method in (*_VARIANTS, *_SHARED_PG):
        # the PG of ``initiative`` at the full budget; else as the defence publishes (saturated if trained so)
        saturate = True if method == "initiative_sign" else None
        refine = cfg.refine_steps if method == "initiative_refined" else 0  # then steps on the surrogate
        per_step = cfg.refine_requests if refine else None
        variant = "initiative" if method in _SHARED_PG else method
        trained = {} if trained is None else trained
        if variant not in trained:
            (xd, ld), sd = defence_training_faces(split, cfg), split.columns("SD")
            trained[variant] = trained_defence(variant, xd, ld[:, sd], split.settings["SD"], surrogate, cfg,
                                               cache_dir, verbose)
        d, seconds = trained[variant]
        info = {**learned_defence_info(d, seconds), "defence_faces": cfg.defence_faces or len(split.defender[0]),
                **({"refine_steps": refine} if refine else {}),
                **({"refine_requests": per_step} if per_step is not None else {})}
        return (lambda a, labels: d.generate(a, y=labels, saturate=saturate, refine_steps=refine,
                                             refine_requests=per_step)), info, d
    if method == "universal":  # one pattern for every face, learned once on the defender's faces
        (xd, ld), sd = defence_training_faces(split, cfg), split.columns("SD")
        t = time.perf_counter()
        universal = UniversalDisruption(surrogate, eps=cfg.eps, eps_step=cfg.eps / 10,
                                        max_iter=cfg.universal_iterations, random_seed=cfg.seed, verbose=verbose
                                        ).fit(xd, target_domains(ld[:, sd], split.settings["SD"]))
        info = {"setup_seconds": time.perf_counter() - t, "universal_iterations": cfg.universal_iterations,
                "defence_faces": len(xd)}
        return (lambda a, labels: universal.generate(a)), info, None
    if method == "random_noise":
        return (lambda a, labels: uniform_noise(a, cfg.eps, cfg.seed)), {}, None
    if method == "sign_noise":
        return (lambda a, labels: sign_noise(a, cfg.eps, cfg.seed)), {}, None
    if method == "none":
        return None, {}, None
    if method not in _BASELINES:
        raise ValueError(f"method must be one of {PUBLISHED_METHODS}, got {method!r} (whitebox_pgd needs the "
                         "target: the harness computes it).")

    def baseline(a: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return baseline_protection(method, surrogate, a, target_domains(labels, split.settings["SD"]), cfg.eps, cfg)

    return baseline, {}, None


def baseline_protection(method: str, surrogate: PyTorchImageTranslator, x: np.ndarray, domains: list[np.ndarray],
                        eps: float, cfg: AttributeBenchmarkConfig) -> np.ndarray:
    """One protected image per face by a per-image attack on ``surrogate`` (never the target).

    :param domains: the surrogate's target domains for these faces, one (N, c_dim) array per attribute.
    """
    steps, step = cfg.pgd_steps, min(cfg.eps_step, eps)
    if method in _RUIZ:
        blur = RUIZ_BLUR_SIGMAS if method == "ruiz_pgd_blur" else None
        return RuizDisruption(surrogate, method=_RUIZ[method], eps=eps, eps_step=step, max_iter=steps,
                              class_mode="joint", blur_sigmas=blur, batch_size=128, verbose=False
                              ).generate(x, conditions=domains)
    one_each = np.stack([domains[i % len(domains)][i] for i in range(len(x))])  # one class at a time
    if method == "art_bim":
        from art.attacks.evasion import BasicIterativeMethod

        bim = BasicIterativeMethod(surrogate, eps=eps, eps_step=step, max_iter=steps, batch_size=128, verbose=False)
        return generate_with_art(bim, x, conditions=one_each)
    if method == "torchattacks_pgd":
        import torchattacks

        objective = DisruptionLogits(surrogate, jittered_reference(surrogate, x, one_each), one_each)
        pgd = torchattacks.PGD(objective, eps=eps / 2, alpha=step / 2, steps=steps, random_start=True)
        pgd.set_normalization_used(mean=[0.5] * 3, std=[0.5] * 3)
        images = torch.as_tensor(x, device=surrogate.device)
        with torch.random.fork_rng(devices=[]):  # stock PGD draws its random start from torch's global RNG
            torch.manual_seed(cfg.seed)
            return pgd(images, torch.zeros(len(x), dtype=torch.long, device=surrogate.device)).cpu().numpy()
    raise ValueError(f"not a baseline method: {method!r}.")
