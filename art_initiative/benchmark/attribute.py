"""The paper's attribute-editing protocol (Table 1, Figures 3 and 4) on the embedded synthetic faces.

Three disjoint splits of :class:`~art_initiative.data.SyntheticFaces`: the defender's faces (the initiative
defence and the baseline's surrogate StarGAN are trained on them, with the paper's five attributes), the
forger's faces (the target models) and held-out test faces. Each target architecture is trained with the same
domains as the defence (``SD``: the five attributes) and with different domains (``DD``: ``Eyeglasses`` and
``Smiling``, which the defender never saw). ``res6`` with SD is the gray-box setting (the surrogate's own
architecture and domains, other weights and data).

Every method publishes one protected image per face, computed without the target
(:mod:`~art_initiative.benchmark.protections`: the learned PG and its variants, the Ruiz et al. baseline, ART's and
torchattacks' attacks on the surrogate, the noise controls). ``whitebox_pgd`` is the anchor that says whether a
target can be disrupted at all: the ``ruiz_pgd`` attack computed on the target itself (white-box, so it is a
control, not a method a defender can use). The target's forgeries of the clean and the protected face are
compared over all of the target's domains. The models themselves (the defender's surrogate or public model, the
forger's targets) come from :mod:`~art_initiative.benchmark.testbed`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from art_initiative.attacks import InitiativeDefense
from art_initiative.benchmark.common import (
    PAPER_SURROGATE,
    check_settings,
    uniform_noise,
)
from art_initiative.benchmark.figures import save_grid
from art_initiative.benchmark.protections import baseline_protection, method_protection
from art_initiative.benchmark.records import (
    device_name,
    forgery_metrics,
    make_record,
    peak_memory_mb,
    protection_metrics,
    timed_protection,
)
from art_initiative.benchmark.testbed import (
    FORGER_RECIPES,
    defender_surrogate,
    forger_recipe,
    forger_target_and_training,
    public_model,
)
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.data.synthetic import ALL_ATTRIBUTES, PAPER_ATTRIBUTES
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import clean_edit_distance, lbp_maps
from art_initiative.models import GENERATOR_NAMES
from art_initiative.training.loop import resolve_device

logger = logging.getLogger(__name__)

#: Table 1's targets, the default; any of :data:`~art_initiative.models.GENERATOR_NAMES` may be benchmarked.
ATTRIBUTE_TARGETS = ("res6", "res9", "cnet", "unet128")
ATTRIBUTE_METHODS = ("initiative", "initiative_no_ats", "initiative_no_tde", "initiative_robust", "initiative_sign",
                     "initiative_refined", "ruiz_pgd", "ruiz_ifgsm", "ruiz_fgsm", "ruiz_pgd_blur", "art_bim",
                     "torchattacks_pgd", "universal", "random_noise", "sign_noise", "whitebox_pgd", "none")
DOMAIN_SETTINGS = {"SD": PAPER_ATTRIBUTES, "DD": ("Eyeglasses", "Smiling")}
GRID_METHODS = ("initiative", "ruiz_pgd", "random_noise")  # the methods the Figure 3 grid shows
SWEEP_EPS = (0.01, 0.02, 0.03, 0.05, 0.07, 0.10)
# Table 1 of the paper (eps 0.05): (domains, target) -> (Ruiz, ours, ours without ATS) as (DSR, L2).
PAPER_TABLE1 = {
    ("SD", "res6"): ((0.35, 0.050), (1.00, 0.177), (0.95, 0.124)),
    ("SD", "res9"): ((0.04, 0.011), (0.90, 0.134), (0.85, 0.092)),
    ("SD", "cnet"): ((0.54, 0.061), (0.93, 0.095), (0.67, 0.087)),
    ("SD", "unet128"): ((0.03, 0.014), (1.00, 0.129), (0.45, 0.052)),
    ("DD", "res6"): ((0.16, 0.031), (1.00, 0.139), (0.96, 0.127)),
    ("DD", "res9"): ((0.05, 0.017), (0.93, 0.110), (0.91, 0.108)),
    ("DD", "cnet"): ((0.00, 0.008), (0.95, 0.101), (0.63, 0.087)),
    ("DD", "unet128"): ((0.46, 0.071), (1.00, 0.207), (0.89, 0.089)),
}
FORGER_STARTS = ("scratch", "public")


@dataclass
class AttributeBenchmarkConfig:
    """Settings of :func:`run_attribute_benchmark`.

    :param profile: the defence's profile (``cpu``, ``paper``, ``tiny``); ``defence`` replaces its settings.
    :param n_train: faces in each of the defender's and the forger's splits.
    :param disc_width: channels of the first layer of the targets' discriminator (StarGAN: 64).
    :param recipe: the forger's training recipe, a :data:`~art_initiative.benchmark.testbed.FORGER_RECIPES` name.
    :param target_iterations: StarGAN iterations (discriminator steps) of every target and of the baseline's
        surrogate; the generator takes one step every ``n_critic``.
    :param eps: the comparison's L-inf budget (the paper's 0.05).
    :param sweep: budgets of the Figure 4 sweep on the gray-box target; the learned PG trained at ``eps`` is
        applied as ``x + e PG(x)`` at each budget ``e`` (records carry ``pg_trained_eps``), the baseline and the
        noise are computed at each budget. Empty: no sweep.
    :param pgd_steps: iterations of the iterative baselines and of white-box PGD (step ``eps_step``; Ruiz et al.'s
        10, the default). Records carry it and ``eps_step``.
    :param eps_step: their step size (Ruiz et al.'s 0.01, the default; a smaller budget steps by the budget).
    :param refine_steps: ``initiative_refined``'s steps on the surrogate after PG (size eps / ``refine_steps``). The
        default, 2, was chosen on fresh faces, never the test split (``benchmarks/refine_curve.py``): the fewest steps
        after which PG is ahead of Ruiz PGD-10 at 32 and 64 px.
    :param refine_requests: edit requests each of those steps disrupts, in turn (None: all five; fewer make a step
        cheaper in proportion, ``InitiativeDefense(refine_requests=...)``).
    :param universal_iterations: steps of the ``universal`` method's pattern on the surrogate (one perturbation for
        every face, learned on the defender's faces; :class:`~art_initiative.attacks.universal.UniversalDisruption`,
        step ``eps / 10``).
    :param classifier_iterations: training iterations of the calibration's independent attribute classifier.
    :param forger_start: ``"scratch"`` (the paper's protocol: every target trained from random weights) or
        ``"public"``: a public model exists (the baseline's surrogate with the SD attributes) and the forger
        fine-tunes it on the forger's faces for ``finetune_iterations``, as forgers who download a released
        StarGAN do; the defence then starts its SM from the same public model (``sm_init="estimator"``, a
        ``sm_pretrain_iterations=500`` warm-up of its discriminator, no input diversity: ``augment_shift=0``, unless
        ``defence`` says otherwise). Only the target of its architecture can start from it (``SD`` domains only):
        a forger with another architecture trains it from random weights on the same faces, the black-box rows of
        the scenario, for ``blackbox_iterations``.
    :param finetune_iterations: the forger's fine-tuning iterations with ``forger_start="public"``.
    :param blackbox_iterations: with ``forger_start="public"``, the iterations of the targets of another
        architecture than ``surrogate_arch`` (trained from scratch); None: ``target_iterations``.
    :param surrogate_arch: the architecture of the defender's model (the baseline's surrogate, the defence's
        template and, with ``forger_start="public"``, the public model); the target of the same architecture with
        the SD domains is the gray-box row. The paper's is ``res6``; ``make demo`` uses ``cnet``, the target that is
        as fragile as a real StarGAN at its 32 px budget (see the docs' results).
    :param defence_faces: faces the learned defence (and the ``universal`` control) train on. None: the defender's
        split (``n_train``). More than the split (synthetic data only): the split and further faces of the same data
        set, rendered after the test split (disjoint from every split), as a protection service would train on a
        large face collection (the paper's PG sees CelebA's 160k training faces); the public model and the
        baseline's surrogate keep the split. Fewer: the first ones of the split.
    :param defence_surrogates: :func:`~art_initiative.training.train_stargan` checkpoints the learned defence is
        trained against as well, frozen (``InitiativeDefense(surrogates=...)``: an ensemble, not the paper's), for
        example the defender's own fine-tunings of the public model (``benchmarks/drift_forgers.py --on
        defender``); empty: none.
    :param perceptual: also the metrics that need a network (LPIPS and the VGG distance, whose ImageNet trunk weights
        ``make setup`` installs); False leaves them out of the records (``benchmarks/gpu_testbed.py`` on a machine
        without those weights).
    """

    profile: str = "cpu"
    image_size: int = 32
    width: int = 16
    disc_width: int = 64
    recipe: str = "stargan"
    n_train: int = 2000
    n_test: int = 100
    target_iterations: int = 5000
    eps: float = 0.05
    sweep: tuple[float, ...] = SWEEP_EPS
    methods: tuple[str, ...] = ATTRIBUTE_METHODS
    targets: tuple[str, ...] = ATTRIBUTE_TARGETS
    domains: tuple[str, ...] = ("SD", "DD")
    defence: dict[str, Any] = field(default_factory=dict)
    pgd_steps: int = 10
    refine_steps: int = 2
    refine_requests: int | None = None
    eps_step: float = 0.01
    universal_iterations: int = 500
    classifier_iterations: int = 2000
    n_jobs: int = 1
    seed: int = 0
    forger_start: str = "scratch"
    finetune_iterations: int = 2500
    blackbox_iterations: int | None = None
    surrogate_arch: str = PAPER_SURROGATE
    defence_faces: int | None = None
    defence_surrogates: tuple[str, ...] = ()
    perceptual: bool = True

    def validate(self) -> AttributeBenchmarkConfig:
        """Check every setting (names of methods, targets and domains; positive counts); return ``self``."""
        check_settings(self, {"methods": ATTRIBUTE_METHODS, "targets": GENERATOR_NAMES,
                              "domains": tuple(DOMAIN_SETTINGS)},
                       ("image_size", "width", "disc_width", "n_train", "n_test", "target_iterations", "pgd_steps",
                        "refine_steps", "n_jobs", "classifier_iterations", "finetune_iterations",
                        "universal_iterations"))
        if self.surrogate_arch not in ATTRIBUTE_TARGETS:
            raise ValueError(f"surrogate_arch must be one of {ATTRIBUTE_TARGETS}, got {self.surrogate_arch!r}.")
        if self.forger_start not in FORGER_STARTS:
            raise ValueError(f"forger_start must be one of {FORGER_STARTS}, got {self.forger_start!r}.")
        if self.forger_start == "public" and tuple(self.domains) != ("SD",):
            raise ValueError("forger_start='public' fine-tunes the public model with the SD attributes: "
                             f"domains must be ('SD',), got {list(self.domains)}.")
        if self.blackbox_iterations is not None and (isinstance(self.blackbox_iterations, bool)
                                                     or not isinstance(self.blackbox_iterations, int)
                                                     or self.blackbox_iterations < 1):
            raise ValueError(f"blackbox_iterations must be None or an int >= 1, got {self.blackbox_iterations!r}.")
        if self.defence_faces is not None and (isinstance(self.defence_faces, bool)
                                               or not isinstance(self.defence_faces, int) or self.defence_faces < 1):
            raise ValueError(f"defence_faces must be None or an int >= 1, got {self.defence_faces!r}.")
        missing = [p for p in self.defence_surrogates if not os.path.isfile(p)]
        if missing:
            raise ValueError(f"defence_surrogates must be train_stargan checkpoints; {missing} do not exist.")
        if self.recipe not in FORGER_RECIPES:
            raise ValueError(f"recipe must be one of {sorted(FORGER_RECIPES)}, got {self.recipe!r}.")
        n_requests = len(DOMAIN_SETTINGS["SD"])  # the refinement disrupts the defender's own attributes
        if self.refine_requests is not None and (isinstance(self.refine_requests, bool)
                                                 or not isinstance(self.refine_requests, int)
                                                 or not 1 <= self.refine_requests <= n_requests):
            raise ValueError(f"refine_requests must be None or an int in [1, {n_requests}], "
                             f"got {self.refine_requests!r}.")
        if not 0 < self.eps <= 1 or any(not 0 < e <= 1 for e in self.sweep):
            raise ValueError(f"eps and sweep must lie in (0, 1], got {self.eps!r} and {list(self.sweep)}.")
        if isinstance(self.eps_step, bool) or not isinstance(self.eps_step, (int, float)) or not 0 < self.eps_step <= 1:
            raise ValueError(f"eps_step (the iterative baselines' step size) must be a number in (0, 1], got "
                             f"{self.eps_step!r}.")
        return self


@dataclass
class AttributeData:
    """The three disjoint splits of an attribute-editing data source, as (images, labels) pairs.

    :param attributes: the names of the label columns.
    :param settings: the domain settings: ``SD`` (the defender's attributes) and ``DD`` (attributes the defender
        never sees), each a tuple of attribute names.
    :param faces: for synthetic data, the test split's :class:`SyntheticFaces` (it renders ground-truth edits).
    :param crop_scale: for video crops, the crop's side as a multiple of the face box (the translation check then
        also re-measures the landmarks of the edits, :class:`~art_initiative.data.expressions.CropExpressionLabeller`).
    :param extra_faces: faces rendered beyond the splits for the defence, by how many (filled by
        :func:`defence_training_faces`, so that each learned variant and the universal control share one rendering).
    """

    defender: tuple[np.ndarray, np.ndarray]
    forger: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    attributes: tuple[str, ...]
    settings: dict[str, tuple[str, ...]]
    faces: SyntheticFaces | None = None
    crop_scale: float | None = None
    extra_faces: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    def columns(self, setting: str) -> list[int]:
        """The label columns of a domain setting."""
        return [self.attributes.index(a) for a in self.settings[setting]]


def domain_settings(data: str) -> dict[str, tuple[str, ...]]:
    """The ``SD`` and ``DD`` attributes of an attribute-editing data source (without loading it)."""
    if data == "franck":
        from art_initiative.data.expressions import FRANCK_SETTINGS

        return dict(FRANCK_SETTINGS)
    return dict(DOMAIN_SETTINGS)


def check_refine_requests(cfg: AttributeBenchmarkConfig, data: str,
                          settings: dict[str, tuple[str, ...]] | None = None) -> None:
    """Refuse ``cfg.refine_requests`` above the data's edit requests per face (its ``SD`` attributes; franck has
    three), before anything loads or trains. ``settings``: the splits' own, when the caller has them."""
    n_requests = len((settings or domain_settings(data))["SD"])
    if cfg.refine_requests is not None and cfg.refine_requests > n_requests:
        raise ValueError(f"refine_requests must be at most {n_requests} on {data!r} (the defender's edit requests "
                         f"per face), got {cfg.refine_requests}.")


def attribute_data(data: str, cfg: AttributeBenchmarkConfig, cache_dir: str | None = None,
                   verbose: bool = False) -> AttributeData:
    """The splits of ``data`` at ``cfg``'s size: ``"synthetic"`` (embedded faces, ``n_train`` per training split,
    ``n_test`` test faces) or ``"franck"`` (real frames of the FGNet talking-face video, ``make franck``; labels
    from the 68 landmarks, disjoint time segments; see :mod:`art_initiative.data.expressions`)."""
    if data == "synthetic":
        faces = SyntheticFaces(2 * cfg.n_train + cfg.n_test, cfg.image_size, seed=cfg.seed,
                               attributes=ALL_ATTRIBUTES)
        defender, forger, test = faces.split([cfg.n_train, cfg.n_train, cfg.n_test])
        return AttributeData(defender.arrays(n_jobs=cfg.n_jobs), forger.arrays(n_jobs=cfg.n_jobs),
                             test.arrays(n_jobs=cfg.n_jobs), ALL_ATTRIBUTES, domain_settings(data), test)
    if data == "franck":
        from art_initiative.data.expressions import FRANCK_CROP_SCALE, expression_splits

        splits, attributes = expression_splits(cfg.image_size, cfg.n_train, cfg.n_test, cache_dir=cache_dir,
                                               verbose=verbose)
        return AttributeData(*splits, attributes=attributes, settings=domain_settings(data),
                             crop_scale=FRANCK_CROP_SCALE)
    raise ValueError(f"data must be 'synthetic' or 'franck' for attribute editing, got {data!r}.")


def _forgeries(model: PyTorchImageTranslator, x: np.ndarray, domains: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([model.predict(x, conditions=c) for c in domains])


def run_attribute_benchmark(config: AttributeBenchmarkConfig | None = None, data: str = "synthetic",
                            device_type: str = "gpu",
                            cache_dir: str | None = None, figure_stem: str | None = None, verbose: bool = True,
                            on_records: Callable[[list[dict[str, Any]]], None] | None = None,
                            models: dict[str, PyTorchImageTranslator] | None = None,
                            split: AttributeData | None = None) -> list[dict[str, Any]]:
    """Run the protocol and return one record per (method, target, domains, eps) (see :mod:`.records`).

    :param cache_dir: where trained targets, surrogate and defences are kept (keyed by data and settings), so that
        an interrupted or extended run reuses them; ``None`` keeps nothing.
    :param figure_stem: writes ``<stem>.png`` (faces, protected faces, forgeries and LBP maps on the gray-box
        target) and ``<stem>-sweep.png`` (Figure 4), both on the first target with the defence's own domains
        (``SD``): a run of ``DD`` alone draws neither and computes no sweep, so it keeps an earlier run's.
    :param on_records: called with the records so far after every target (to write partial results).
    :param models: if given, filled with the trained models: ``"surrogate"`` and ``"<target>-<domains>"``.
    :param split: the data's splits when the caller already has them (default: :func:`attribute_data`).
    """
    cfg = (config or AttributeBenchmarkConfig()).validate()
    check_refine_requests(cfg, data, split.settings if split is not None else None)
    if cache_dir is not None:
        os.makedirs(cache_dir, exist_ok=True)
    device = resolve_device(device_type)
    t0 = time.perf_counter()
    split = split or attribute_data(data, cfg, cache_dir=cache_dir, verbose=verbose)
    columns = {k: split.columns(k) for k in split.settings}
    x, lt = split.test
    sd = columns["SD"]
    surrogate_domains = target_domains(lt[:, sd], split.settings["SD"])
    logger.info("data ready in %.0f s", time.perf_counter() - t0)
    surrogate = defender_surrogate(split, cfg, device_type, cache_dir, verbose)
    public = public_model(split, cfg, cache_dir)
    models = {} if models is None else models
    models["surrogate"] = surrogate
    y_defender = _forgeries(surrogate, x, surrogate_domains)  # for each SD target's clean distance
    base = dict(task="attribute_editing", data=data, profile=cfg.profile, device=device_name(device),
                n_images=len(x), image_size=cfg.image_size, target_iterations=cfg.target_iterations,
                recipe=forger_recipe(cfg), forger_start=cfg.forger_start, surrogate_arch=cfg.surrogate_arch,
                pgd_steps=cfg.pgd_steps, eps_step=cfg.eps_step,
                **({"finetune_iterations": cfg.finetune_iterations} if public else {}))

    # What each method publishes at cfg.eps, with its cost.
    published: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    defences: dict[str, InitiativeDefense] = {}
    trained: dict[str, tuple[InitiativeDefense, float]] = {}
    for method in cfg.methods:
        if method == "whitebox_pgd":
            continue  # computed on each target below
        protection, info, defence = method_protection(method, split, cfg, surrogate, cache_dir, verbose, trained)
        if defence is not None:
            defences[method] = defence
        if protection is None:
            x_prot, info["seconds_per_image"] = x, 0.0
            info.update(psnr=None, ssim=None, lpips_protected=None)
        else:
            # (the warm-up run of timed_protection protects fewer faces)
            x_prot, info["seconds_per_image"] = timed_protection(
                lambda a, p=protection: p(a, lt[:len(a)][:, sd]), x)
            info.update(protection_metrics(x, x_prot, device=str(device), perceptual=cfg.perceptual))
        published[method] = x_prot, info
        logger.info("%s: %s", method, info)

    records: list[dict[str, Any]] = []
    for arch in cfg.targets:
        for setting in cfg.domains:
            target, trained_as = forger_target_and_training(split, cfg, arch, setting, device_type, cache_dir,
                                                            verbose)
            models[f"{arch}-{setting}"] = target
            doms = target_domains(lt[:, columns[setting]], split.settings[setting])
            y = _forgeries(target, x, doms)
            # how far the target's clean edits are from the defender's model's: transfer needs them close
            distance = clean_edit_distance(y, y_defender, x, doms) if setting == "SD" else None
            runs = dict(published)
            if "whitebox_pgd" in cfg.methods:
                runs["whitebox_pgd"] = _whitebox(target, x, doms, cfg, device)
            for method, (x_prot, info) in runs.items():
                m = forgery_metrics(y, _forgeries(target, x_prot, doms), metric="mse", device=str(device),
                                    perceptual=cfg.perceptual)
                records.append(make_record(**base, method=method, target=arch, domains=setting, eps=cfg.eps, **m,
                                           **info, **trained_as, clean_distance=distance,
                                           peak_memory_mb=peak_memory_mb(device)))
                if verbose:
                    print(f"{arch:8s} {setting} {method:18s} eps {cfg.eps:.2f}: DSR {100 * m['dsr']:5.1f}% "
                          f"(>0.01 {100 * m['dsr_0.01']:5.1f}%)  MSE {m['mse']:.4f}", flush=True)
            if arch == cfg.targets[0] and setting == "SD":  # Figures 3 and 4: the first target, same domains
                records += _sweep(cfg, target, x, y, doms, surrogate, surrogate_domains, defences,
                                  {**base, **trained_as}, device)
                # A later run without the defence (controls added to a results file) keeps the existing figure.
                if figure_stem and any(m in published for m in GRID_METHODS) and (
                        "initiative" in published or not os.path.exists(figure_stem + ".png")):
                    _grid(figure_stem + ".png", target, x, doms, published)
            if on_records:
                on_records(records)
    swept = [r for r in records if r.get("sweep")]
    if figure_stem and swept:
        from art_initiative.benchmark.figures import plot_sweep

        plot_sweep(swept, figure_stem + "-sweep.png")
    return records


def _whitebox(target: PyTorchImageTranslator, x: np.ndarray, doms: list[np.ndarray], cfg: AttributeBenchmarkConfig,
              device: torch.device) -> tuple[np.ndarray, dict[str, Any]]:
    """The ``whitebox_pgd`` control: ``ruiz_pgd``'s attack computed on the target itself, over its own domains."""
    t = time.perf_counter()
    x_prot = baseline_protection("ruiz_pgd", target, x, doms, cfg.eps, cfg)
    seconds = (time.perf_counter() - t) / len(x)
    return x_prot, {"seconds_per_image": seconds,
                    **protection_metrics(x, x_prot, device=str(device), perceptual=cfg.perceptual)}


def _sweep(cfg: AttributeBenchmarkConfig, target: PyTorchImageTranslator, x: np.ndarray, y: np.ndarray,
           doms: list[np.ndarray], surrogate: PyTorchImageTranslator, surrogate_domains: list[np.ndarray],
           defences: dict[str, InitiativeDefense], base: dict[str, Any], device: torch.device
           ) -> list[dict[str, Any]]:
    """Figure 4: the learned PG, the Ruiz PGD baseline and the noise at every budget of ``cfg.sweep``
    (``y``: the target's forgeries of the clean faces ``x`` in ``doms``)."""
    out = []
    for e in cfg.sweep:
        runs: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
        if "initiative" in defences:
            runs["initiative"] = defences["initiative"].generate(x, eps=e), {"pg_trained_eps": cfg.eps}
        if "ruiz_pgd" in cfg.methods:
            runs["ruiz_pgd"] = baseline_protection("ruiz_pgd", surrogate, x, surrogate_domains, e, cfg), {}
        if "random_noise" in cfg.methods:
            runs["random_noise"] = uniform_noise(x, e, cfg.seed), {}
        for method, (x_prot, extra) in runs.items():
            m = forgery_metrics(y, _forgeries(target, x_prot, doms), metric="mse", device=str(device),
                                perceptual=cfg.perceptual)
            out.append(make_record(**base, method=method, target=cfg.targets[0], domains=cfg.domains[0], eps=e, **m,
                                   **protection_metrics(x, x_prot, device=str(device), perceptual=cfg.perceptual),
                                   peak_memory_mb=peak_memory_mb(device), sweep=True, **extra))
    return out


def _grid(path: str, target: PyTorchImageTranslator, x: np.ndarray, doms: list[np.ndarray],
          published: dict[str, tuple[np.ndarray, dict[str, Any]]]) -> None:
    """Figure 3 layout: faces; then, per shown method, the published faces and their forgery (one domain per
    column, in turn); the last two rows are the LBP maps of the clean forgery and of the first method's."""
    k = min(8, len(x))
    conds = np.stack([doms[i % len(doms)][i] for i in range(k)])
    rows = [x[:k], target.predict(x[:k], conditions=conds)]
    shown = [m for m in GRID_METHODS if m in published]
    for m in shown:
        xp = published[m][0][:k]
        rows += [xp, target.predict(xp, conditions=conds)]
    rows += [np.repeat(2 * lbp_maps(r)[:, None] - 1, 3, axis=1).astype(np.float32) for r in (rows[1], rows[3])]
    save_grid(rows, path)
