"""Protection that survives what happens to photos online (issue #14): every method's protected faces pass through
JPEG, blur, resizing or a shifted crop before the gray-box target edits them; then a forger who adapts.

Settings are those of the attribute-editing protocol (:mod:`.attribute`: the same splits, surrogate, target and
cached defences); the target is the gray-box ``res6`` with the defender's attributes (``SD``). Three kinds of
record, each with ``method``, ``transform``, ``param``, ``dsr`` (share of forgeries moved by MSE > 0.05; also
``dsr_0.02``, ``dsr_0.01``) and ``mse``:

- an online transform (``none``, ``jpeg``, ``blur``, ``resize``, ``shift``) applied by the upload site to every
  photo, protected or not: the protected forgery ``G(T(x'))`` is compared with ``G(T(x))``, the forgery the
  forger would have made from the unprotected photo after the same upload;
- a purifying forger (``purify_jpeg``, ``purify_blur``), who compresses or blurs every input on purpose before
  editing: ``G(P(x'))`` is compared with ``G(x)``, the edit the forger wanted; the ``none`` row of a purification
  is its own cost on unprotected photos;
- a fine-tuning forger (``finetune``), who fine-tunes the target with its recipe for a short time on protected
  photos (``adapt_pool`` of the forger's faces, protected by the method) and edits with it: ``G'(x')`` is
  compared with ``G(x)``; the ``none`` row (fine-tuned on clean faces) is the drift of fine-tuning itself, and
  ``mse_same_model`` compares with ``G'(x)``.

Transforms of the evaluation are the real ones (Pillow's JPEG codec); the robust PG trains through kornia's
differentiable versions (:mod:`art_initiative.preprocessing`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from art_initiative.benchmark.attribute import (
    ATTRIBUTE_METHODS,
    AttributeBenchmarkConfig,
    _forgeries,
    attribute_data,
    check_refine_requests,
)
from art_initiative.benchmark.common import check_settings
from art_initiative.benchmark.protections import method_protection
from art_initiative.benchmark.records import device_name, forgery_metrics, make_record
from art_initiative.benchmark.testbed import (
    defender_surrogate,
    forger_recipe,
    forger_target,
    forger_target_path,
    train_target,
)
from art_initiative.data import target_domains
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.preprocessing import apply_transform, check_transform
from art_initiative.training.loop import resolve_device

logger = logging.getLogger(__name__)

ROBUSTNESS_METHODS = ("initiative", "initiative_robust", "ruiz_pgd", "ruiz_pgd_blur", "art_bim", "torchattacks_pgd",
                      "sign_noise", "none")
# (transform, parameter): JPEG quality, blur sigma (pixels), resize scale, crop shift (pixels).
SUITE: tuple[tuple[str, float | int | None], ...] = (
    ("none", None), ("jpeg", 95), ("jpeg", 90), ("jpeg", 75), ("jpeg", 50), ("blur", 0.5), ("blur", 1.0),
    ("blur", 1.5), ("resize", 0.75), ("resize", 0.5), ("shift", 2))
PURIFY: tuple[tuple[str, float | int], ...] = (("purify_jpeg", 75), ("purify_blur", 1.0))
RECORD_FIELDS = ("method", "transform", "param")


@dataclass
class RobustnessConfig:
    """Settings of :func:`run_robustness` beyond the attribute-editing protocol's.

    :param methods: from :data:`ROBUSTNESS_METHODS` (any attribute-editing method but ``whitebox_pgd``).
    :param suite: the online transforms, ``(name, param)``; ``("none", None)`` is the untransformed reference.
    :param purify: the purifying forger's transforms, ``("purify_jpeg", quality)`` or ``("purify_blur", sigma)``.
    :param adapt_iterations: the fine-tuning forger's iterations (its StarGAN recipe, discriminator steps);
        0 skips it.
    :param adapt_pool: how many of the forger's faces it fine-tunes on (protected by each method).
    """

    methods: tuple[str, ...] = ROBUSTNESS_METHODS
    suite: tuple[tuple[str, float | int | None], ...] = SUITE
    purify: tuple[tuple[str, float | int], ...] = PURIFY
    adapt_iterations: int = 500
    adapt_pool: int = 256

    def validate(self) -> RobustnessConfig:
        """Check the methods and every transform of the suite with its parameter; return ``self``."""
        check_settings(self, {"methods": tuple(m for m in ATTRIBUTE_METHODS if m != "whitebox_pgd")}, ())
        for name, param in self.suite:
            if name != "none":
                check_transform(name, param)
            elif param is not None:
                raise ValueError(f"the 'none' transform takes no parameter, got {param!r}.")
        for name, param in self.purify:
            if name not in ("purify_jpeg", "purify_blur"):
                raise ValueError(f"purify transforms must be 'purify_jpeg' or 'purify_blur', got {name!r}.")
            check_transform(name.removeprefix("purify_"), param)
        for key, low in (("adapt_iterations", 0), ("adapt_pool", 1)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{key} must be an int >= {low}, got {v!r}.")
        return self


def transformed(x: np.ndarray, name: str, param: float | int | None) -> np.ndarray:
    """``x`` after the suite's transform ``name`` (``none``: unchanged; ``purify_*``: the named transform)."""
    if name == "none":
        return x
    return apply_transform(x, name.removeprefix("purify_"), param)


def disruption(reference: np.ndarray, forgery: np.ndarray) -> dict[str, float]:
    """DSR at MSE 0.05 / 0.02 / 0.01, mean MSE and L1 between reference forgeries and those to judge (the
    harness's :func:`~.records.forgery_metrics` without the perceptual distances)."""
    return forgery_metrics(reference, forgery, metric="mse", perceptual=False)


def online_disruption(target: PyTorchImageTranslator, x: np.ndarray, published: dict[str, np.ndarray],
                      domains: list[np.ndarray], suite: Sequence[tuple[str, float | int | None]],
                      purify: Sequence[tuple[str, float | int]] = (), clean: np.ndarray | None = None
                      ) -> Iterator[tuple[str, str, float | int | None, dict[str, float]]]:
    """``(method, transform, param, metrics)`` for every published batch after every transform.

    An online transform ``T`` of ``suite`` is applied to the published images and to the clean ones alike: the
    metrics compare ``G(T(x'))`` with ``G(T(x))``; ``mse_vs_clean`` and ``dsr_vs_clean`` compare with the
    untransformed clean forgery ``G(x)`` (which also counts the transform's own change). A purification of
    ``purify`` is the forger's: ``G(P(x'))`` against ``G(x)``.

    :param published: each method's published images (same shape as ``x``).
    :param domains: the target's domains, one (N, c_dim) array each; every image is edited into each.
    :param clean: ``G(x)`` over ``domains`` if already computed.
    """
    clean = _forgeries(target, x, domains) if clean is None else clean
    for name, param in suite:
        reference = clean if name == "none" else _forgeries(target, transformed(x, name, param), domains)
        for method, x_prot in published.items():
            forgery = _forgeries(target, transformed(x_prot, name, param), domains)
            versus = disruption(clean, forgery)
            yield method, name, param, {**disruption(reference, forgery), "mse_vs_clean": versus["mse"],
                                        "dsr_vs_clean": versus["dsr"]}
    for name, param in purify:
        for method, x_prot in published.items():
            yield method, name, param, disruption(clean, _forgeries(target, transformed(x_prot, name, param), domains))


def run_robustness(config: AttributeBenchmarkConfig, robustness: RobustnessConfig | None = None,
                   data: str = "synthetic", device_type: str = "gpu", cache_dir: str | None = None,
                   figure_path: str | None = None, verbose: bool = True) -> list[dict[str, Any]]:
    """Run the suite on the gray-box target and return one record per (method, transform, param).

    :param config: the attribute-editing protocol (scenario, sizes, eps); its models are trained or loaded from
        ``cache_dir`` as :func:`~.attribute.run_attribute_benchmark` does.
    :param figure_path: writes DSR and forgery MSE against JPEG quality, one line per method (PNG).
    """
    cfg = config.validate()
    check_refine_requests(cfg, data)
    rcfg = (robustness or RobustnessConfig()).validate()
    if rcfg.adapt_iterations and cache_dir is None:
        raise ValueError("the fine-tuning forger (adapt_iterations > 0) needs a cache_dir: it starts from the "
                         "target's checkpoint.")
    device = resolve_device(device_type)
    if cache_dir is not None:
        os.makedirs(cache_dir, exist_ok=True)
    split = attribute_data(data, cfg, cache_dir=cache_dir, verbose=verbose)
    sd = split.columns("SD")
    (x, lt), (xf, lf) = split.test, split.forger
    doms = target_domains(lt[:, sd], split.settings["SD"])
    surrogate = defender_surrogate(split, cfg, device_type, cache_dir, verbose)
    arch = cfg.surrogate_arch  # the gray-box target: the public model's architecture (res6)
    target = forger_target(split, cfg, arch, "SD", device_type, cache_dir, verbose)
    base = dict(task="robustness", data=data, profile=cfg.profile, device=device_name(device), target=arch,
                domains="SD", eps=cfg.eps, n_images=len(x), image_size=cfg.image_size, recipe=forger_recipe(cfg),
                forger_start=cfg.forger_start, pgd_steps=cfg.pgd_steps, eps_step=cfg.eps_step)

    protections: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray] | None] = {}
    published: dict[str, np.ndarray] = {}
    for method in rcfg.methods:
        protection, _, _ = method_protection(method, split, cfg, surrogate, cache_dir, verbose)
        protections[method] = protection
        published[method] = x if protection is None else protection(x, lt[:, sd])
        logger.info("%s published", method)

    records: list[dict[str, Any]] = []

    def add(method: str, name: str, param: float | int | None, m: dict[str, float], **extra: Any) -> None:
        records.append(make_record(**base, method=method, transform=name, param=param, **m, **extra))
        if verbose:
            print(f"{method:18s} {name:12s} {param!s:5s}: DSR {100 * m['dsr']:5.1f}% (>0.02 "
                  f"{100 * m['dsr_0.02']:5.1f}%, >0.01 {100 * m['dsr_0.01']:5.1f}%)  MSE {m['mse']:.4f}", flush=True)

    clean = _forgeries(target, x, doms)
    for method, name, param, m in online_disruption(target, x, published, doms, rcfg.suite, rcfg.purify, clean):
        add(method, name, param, m)
    if rcfg.adapt_iterations:
        pool, pool_labels = xf[:rcfg.adapt_pool], lf[:rcfg.adapt_pool][:, sd]
        start = forger_target_path(split, cfg, arch, "SD", cache_dir)
        for method, protection in protections.items():
            faces = pool if protection is None else protection(pool, pool_labels)
            adapted = train_target(faces, pool_labels, arch, cfg.seed + 3, cfg, device_type, cache_dir,
                                   iterations=rcfg.adapt_iterations, init_from=start, verbose=verbose)
            forgery = _forgeries(adapted, published[method], doms)
            same = disruption(_forgeries(adapted, x, doms), forgery)
            add(method, "finetune", rcfg.adapt_iterations, disruption(clean, forgery), adapt_pool=len(pool),
                mse_same_model=same["mse"], dsr_same_model=same["dsr"])
    if figure_path:
        plot_jpeg_curve(records, figure_path)
    return records


def plot_jpeg_curve(records: list[dict[str, Any]], path: str) -> None:
    """DSR (MSE > 0.05, > 0.02, > 0.01) and forgery MSE against JPEG quality ("none" drawn at 100), one line per
    method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in records if r["transform"] in ("none", "jpeg")]
    if not rows:
        raise ValueError("records must hold 'none' or 'jpeg' records, got none.")
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2))
    for ax, (key, label) in zip(axes, (("dsr", "DSR (MSE > 0.05)"), ("dsr_0.02", "DSR (MSE > 0.02)"),
                                       ("dsr_0.01", "DSR (MSE > 0.01)"), ("mse", "forgery MSE")), strict=True):
        for i, m in enumerate(methods):
            rs = sorted(((100 if r["transform"] == "none" else r["param"], r[key]) for r in rows if r["method"] == m),
                        reverse=True)
            ax.plot([q for q, _ in rs], [v for _, v in rs], "o-", color=f"C{i}", label=m)
        ax.set_xlabel("JPEG quality (100: uncompressed)")
        ax.set_ylabel(label)
        ax.invert_xaxis()
        if key != "mse":
            ax.set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
