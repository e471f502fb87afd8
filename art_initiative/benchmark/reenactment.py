"""The paper's reenactment protocol (Table 2): forgers trained on the clean and on the protected video.

For every target architecture the forger's own recipe (:func:`~art_initiative.training.train_pix2pix`, not the
defence's code) trains M on the clean frames, and one M' per (method, eps) on the frames as that method
protected them. M and M' are compared on the sketches of held-out frames (after a gap): DSR = share with
``L1(M(z), M'(z)) > 0.05``, L1, MSE, LPIPS and VGG distance; plus how far each forgery is from the real held-out
frame (``l1_to_real``). M' always starts from another seed than M (the defender does not know the forger's
initialisation), so the ``none`` row, M' trained on the clean frames, is the floor: how far two clean forgers
differ anyway.

Methods: ``initiative`` (the learned PG, surrogate ``unet256``: gray-box for that target), ``initiative_no_ats``
(PG trained against a frozen, pre-trained SM: Table 2's dagger), ``initiative_no_tde`` (no facial mask),
``random_noise`` (uniform noise of the same L-inf size), ``sign_noise`` (a random sign per pixel: the full
budget everywhere) and ``none``. Also allowed, not run by default: ``universal_sign``, one random sign pattern
``s`` shared by every frame, the most learnable poison of the budget, and ``initiative_universal``, the sign of the
initiative PG's mean perturbation over the published frames, the same on every frame. A forger that fits its
poisoned frames learns to add ``s`` to its forgeries, and then ``L1(M(z), M'(z)) >= eps`` on average whatever the
seeds' own difference (Jensen's inequality): with ``eps`` at the L1 threshold, a poison the forger copies exactly
crosses the threshold without disrupting anything else. ``universal_sign`` measures how far a learnable poison
gets; a per-frame poison that the forger cannot predict from the sketch is averaged away instead. The second
family of poisons, :class:`~art_initiative.attacks.ErrorPoison` against a fresh ``unet256`` surrogate, is allowed
too: ``unlearnable`` (error-minimising, per frame), ``unlearnable_shared`` (error-minimising, one pattern: the
class-wise noise of Unlearnable Examples) and ``adversarial_poison`` (error-maximising, per frame). The
per-image attacks of Ruiz et al. do not apply here: the forger's input is a landmark sketch, not the published
frame.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from art_initiative.attacks import ErrorPoison, InitiativeDefenseReenactment
from art_initiative.benchmark.common import (
    INITIATIVE_VARIANTS,
    cached_defence,
    check_settings,
    digest,
    sign_noise,
    uniform_noise,
    universal_sign_noise,
    variant_overrides,
    weights_digest,
)
from art_initiative.benchmark.figures import save_grid
from art_initiative.benchmark.records import (
    device_name,
    forgery_metrics,
    learned_defence_info,
    make_record,
    peak_memory_mb,
    protection_metrics,
    seconds_per_image,
)
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import l1, lbp_maps, lpips_distance
from art_initiative.models import GENERATOR_NAMES, build_model
from art_initiative.training import train_pix2pix
from art_initiative.training.loop import checkpoint_seconds, resolve_device
from art_initiative.training.pix2pix import MAX_DISC_LAYERS

logger = logging.getLogger(__name__)

#: Table 2's targets, the default; any of :data:`~art_initiative.models.GENERATOR_NAMES` may be benchmarked.
TABLE2_TARGETS = ("unet256", "cnet", "res6", "res9", "unet128")
REENACTMENT_METHODS = ("initiative", "initiative_no_ats", "initiative_no_tde", "random_noise", "sign_noise", "none")
# Also allowed (not run by default): the EoT-trained variant, whose TM trains on transformed protected frames, and
# the learnable ceiling, one sign pattern shared by every frame.
REENACTMENT_EXTRA_METHODS = ("initiative_robust", "universal_sign", "initiative_universal", "unlearnable",
                             "unlearnable_shared", "adversarial_poison")
# The second family of poisons (:class:`~art_initiative.attacks.ErrorPoison`), its surrogate the initiative's SM
# architecture (unet256) from fresh weights: error-minimising per frame and shared (Unlearnable Examples'
# sample-wise and class-wise noise), error-maximising per frame.
POISON_METHODS = {"unlearnable": {"objective": "min"}, "unlearnable_shared": {"objective": "min", "pattern": "shared"},
                  "adversarial_poison": {"objective": "max"}}
_NOISE = {"random_noise": uniform_noise, "sign_noise": sign_noise, "universal_sign": universal_sign_noise}
# Table 2 of the paper (eps 0.02): target -> (DSR, L1) with and without (dagger) the alternating training.
PAPER_TABLE2 = {"unet256": ((1.00, 0.057), (0.34, 0.049)), "cnet": ((1.00, 0.165), (1.00, 0.135)),
                "res6": ((1.00, 0.113), (1.00, 0.115)), "res9": ((1.00, 0.093), (1.00, 0.102)),
                "unet128": ((0.94, 0.056), (0.61, 0.052))}
_VARIANTS = INITIATIVE_VARIANTS["reenactment"]


@dataclass
class ReenactmentBenchmarkConfig:
    """Settings of :func:`run_reenactment_benchmark`.

    :param n_train: the victim's frames that are published (protected) and that the forger trains on.
    :param gap: frames skipped between the training frames and the held-out frames.
    :param n_test: held-out frames whose sketches drive the forgers.
    :param width: channel width of the forgers and of the defence's surrogate.
    :param blocks: 1: the held-out frames are one segment after the published ones (and ``gap``); more: the
        video is cut in ``blocks`` blocks of published frames, a gap, held-out frames and a gap
        (:func:`held_out_split`), so that the held-out poses are ones the forger trained on.
    :param forger_iterations: pix2pix iterations of every forger (batch ``forger_batch``).
    :param target_forger_iterations: other iterations for the forgers of these targets (the cpu profile trains the
        U-Nets longer, until their floor is as low as the others'); records hold each target's own.
    :param forger_disc_layers: the forgers' PatchGAN depth (:func:`~art_initiative.training.train_pix2pix`'s
        ``disc_layers``; 0: pix2pix's 70x70 PatchGAN, which sees the whole image at 32 px).
    :param forger_seeds: pairs of forger seeds every figure is averaged over: pair ``k`` trains the clean
        reference forger M with seed ``forger_seed + 2k`` and the forger M' of the published frames with
        ``forger_seed + 2k + 1``; records add ``n_seeds`` and the spreads ``dsr_std``, ``l1_to_real_std`` and
        ``lpips_to_real_std`` over the pairs (``*_clean_std`` over the clean forgers).
    :param defence: settings that replace the defence profile's (e.g. ``{"iterations": 300}``).
    :param poison_rounds: rounds of the error poisons (:data:`POISON_METHODS`), ``train_steps`` surrogate
        updates of batch 16 each.
    """

    profile: str = "cpu"
    n_train: int = 1200
    gap: int = 20
    n_test: int = 100
    blocks: int = 1
    width: int = 16
    forger_iterations: int = 2000
    target_forger_iterations: dict[str, int] = field(default_factory=dict)
    forger_batch: int = 4
    forger_disc_layers: int = 0
    eps: tuple[float, ...] = (0.02,)
    methods: tuple[str, ...] = REENACTMENT_METHODS
    targets: tuple[str, ...] = TABLE2_TARGETS
    defence: dict[str, Any] = field(default_factory=dict)
    forger_seed: int = 10
    forger_seeds: int = 1
    n_quality: int = 200
    poison_rounds: int = 40

    def validate(self) -> ReenactmentBenchmarkConfig:
        """Check every setting (names of methods and targets; positive counts); return ``self``."""
        check_settings(self, {"methods": REENACTMENT_METHODS + REENACTMENT_EXTRA_METHODS, "targets": GENERATOR_NAMES},
                       ("n_train", "n_test", "width", "forger_iterations", "forger_batch", "n_quality",
                        "forger_seeds", "poison_rounds"))
        if not self.eps or any(not 0 < e <= 1 for e in self.eps):
            raise ValueError(f"eps must be a non-empty list of values in (0, 1], got {list(self.eps)}.")
        if self.gap < 0:
            raise ValueError(f"gap must be >= 0, got {self.gap!r}.")
        for arch, n in self.target_forger_iterations.items():
            if arch not in GENERATOR_NAMES or isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"target_forger_iterations must map targets of {GENERATOR_NAMES} to ints >= 1, "
                                 f"got {arch!r}: {n!r}.")
        if not 0 <= self.forger_disc_layers <= MAX_DISC_LAYERS:
            raise ValueError(f"forger_disc_layers must be in [0, {MAX_DISC_LAYERS}], got {self.forger_disc_layers!r}.")
        held_out_split(self.n_train, self.gap, self.n_test, self.blocks)
        return self

    def iterations_for(self, arch: str) -> int:
        """The forger iterations of target ``arch``."""
        return self.target_forger_iterations.get(arch, self.forger_iterations)


def held_out_split(n_train: int, gap: int, n_test: int, blocks: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """Frame indices of the published (training) and held-out frames, and the number of frames needed.

    ``blocks == 1``: the first ``n_train`` frames, a gap of ``gap``, then ``n_test`` held-out frames. ``blocks >
    1``: ``blocks`` blocks, each of ``n_train / blocks`` published frames, a gap, ``n_test / blocks`` held-out
    frames and a gap, so that held-out frames come from every part of the video. Every held-out frame is more
    than ``gap`` frames from every published one.
    """
    if isinstance(blocks, bool) or not isinstance(blocks, int) or blocks < 1:
        raise ValueError(f"blocks must be an int >= 1, got {blocks!r}.")
    if blocks == 1:
        return np.arange(n_train), np.arange(n_train + gap, n_train + gap + n_test), n_train + gap + n_test
    if n_train % blocks or n_test % blocks:
        raise ValueError(f"n_train ({n_train}) and n_test ({n_test}) must divide by blocks ({blocks}).")
    a, b = n_train // blocks, n_test // blocks
    step = a + gap + b + gap
    train = np.concatenate([k * step + np.arange(a) for k in range(blocks)])
    test = np.concatenate([k * step + a + gap + np.arange(b) for k in range(blocks)])
    return train, test, blocks * step


def _to_real(x_test: np.ndarray, forged: np.ndarray, device: object) -> tuple[float, float]:
    """How well a forger forges: L1 and LPIPS of its outputs against the real held-out frames."""
    return float(l1(x_test, forged).mean()), float(lpips_distance(x_test, forged, device=str(device)).mean())


SPREAD_KEYS = ("dsr", "l1_to_real", "lpips_to_real")  # measurements whose spread over forger seeds is recorded


def _mean_over_seeds(per_seed: list[dict[str, float]]) -> dict[str, float]:
    """Every measurement averaged over the forger-seed pairs, with their number and the spread (``<key>_std``)
    of the DSR and of the forger's distance to the real frames."""
    mean = {k: float(np.mean([r[k] for r in per_seed])) for k in per_seed[0]}
    spread = {f"{k}_std": float(np.std([r[k] for r in per_seed])) for k in SPREAD_KEYS if k in per_seed[0]}
    return {**mean, "n_seeds": len(per_seed), **spread}


def _forger(z: np.ndarray, y: np.ndarray, arch: str, seed: int, cfg: ReenactmentBenchmarkConfig, device_type: str,
            cache_dir: str | None) -> PyTorchImageTranslator:
    layers = f"-d{cfg.forger_disc_layers}" if cfg.forger_disc_layers else ""
    iterations = cfg.iterations_for(arch)
    path = None if cache_dir is None else os.path.join(cache_dir, f"pix2pix-{arch}-w{cfg.width}{layers}-s{seed}-"
                                                                  f"{digest(z, y)}-it{iterations}.pt")
    return train_pix2pix(z, y, arch=arch, width=cfg.width, iterations=iterations,
                         batch_size=cfg.forger_batch, seed=seed, device_type=device_type, checkpoint_path=path,
                         checkpoint_every=500, verbose=False, disc_layers=cfg.forger_disc_layers)


def _defence(method: str, eps: float, x: np.ndarray, z: np.ndarray, landmarks: np.ndarray,
             cfg: ReenactmentBenchmarkConfig, device_type: str, cache_dir: str | None, verbose: bool
             ) -> tuple[InitiativeDefenseReenactment, float]:
    size = x.shape[2]
    template = PyTorchImageTranslator.from_architecture("unet256", size, cfg.width, 0, device_type)
    overrides = variant_overrides("reenactment", method, cfg.profile, {**cfg.defence, "eps": eps})
    stem = None if cache_dir is None else os.path.join(cache_dir, f"{method}-{cfg.profile}-eps{eps:g}-"
                                                                  f"{digest(x, z)}-m{weights_digest(template)}")
    return cached_defence(InitiativeDefenseReenactment, template, cfg.profile, overrides,
                          lambda d, path: d.fit(x, z, landmarks, checkpoint_path=path), stem, verbose)


def _poison(method: str, eps: float, x: np.ndarray, z: np.ndarray, cfg: ReenactmentBenchmarkConfig,
            device_type: str, cache_dir: str | None, verbose: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """The frames as an error poison published them, and its cost (its checkpoint in ``cache_dir`` is the cache)."""
    size = x.shape[2]
    # the surrogate's fresh weights: neither M's nor M''s
    surrogate = PyTorchImageTranslator.from_architecture("unet256", size, cfg.width, 0, device_type,
                                                         seed=cfg.forger_seed + 1000)
    poison = ErrorPoison(surrogate, eps=eps, rounds=cfg.poison_rounds, verbose=verbose, **POISON_METHODS[method])
    path = None if cache_dir is None else os.path.join(cache_dir, f"{method}-r{cfg.poison_rounds}-eps{eps:g}-"
                                                                  f"{digest(x, z)}.pt")
    t = time.perf_counter()
    protected = poison.generate(x, z, checkpoint_path=path)
    seconds = (checkpoint_seconds(path) if path else None) or time.perf_counter() - t
    return protected, {"seconds_per_image": seconds / len(x), "setup_seconds": seconds,
                       "poison": {"rounds": poison.rounds, "train_steps": poison.train_steps,
                                  "batch_size": poison.batch_size, **POISON_METHODS[method]}}


def run_reenactment_benchmark(frames: np.ndarray, sketches: np.ndarray, landmarks: np.ndarray,
                              config: ReenactmentBenchmarkConfig | None = None, data: str = "video",
                              device_type: str = "gpu", cache_dir: str | None = None, figure_path: str | None = None,
                              verbose: bool = True) -> list[dict[str, Any]]:
    """Run the protocol and return one record per (method, target, eps) (see :mod:`.records`).

    A target whose network (at this image size, with its forger iterations) is one an earlier target of the run
    already built, such as ``unet128`` and ``unet256`` below 256 px, is not trained again: its records are that
    target's, with ``same_network_as`` naming it (same network, seeds and frames give the same forgers).

    :param frames: the victim's face crops in time order (N, 3, H, W) in [-1, 1]; the first ``n_train`` are
        published, the ``n_test`` after a gap of ``gap`` are held out.
    :param sketches: their landmark sketches (the forger's guidance), same shape.
    :param landmarks: their 68 landmarks (N, 68, 2) in pixels (the defence's facial mask).
    :param data: the data's name in the records (``"franck"``, ``"synthetic"``...).
    :param cache_dir: where trained forgers and defences are kept (keyed by their data and settings), so that an
        interrupted or extended run reuses them; ``None`` keeps nothing.
    :param figure_path: PNG grid (eps ``config.eps[0]``, target ``config.targets[0]``): real held-out frames,
        M(z), M'(z) per method and their LBP maps; above them clean and protected training frames.
    """
    cfg = (config or ReenactmentBenchmarkConfig()).validate()
    train, test, need = held_out_split(cfg.n_train, cfg.gap, cfg.n_test, cfg.blocks)
    if len(frames) < need:
        raise ValueError(f"frames must hold the {need} frames of n_train {cfg.n_train}, gap {cfg.gap}, n_test "
                         f"{cfg.n_test} in {cfg.blocks} block(s), got {len(frames)}.")
    if cache_dir is not None:
        os.makedirs(cache_dir, exist_ok=True)
    device = resolve_device(device_type)
    x, z, lm = frames[train], sketches[train], landmarks[train]
    x_test, z_test = frames[test], sketches[test]
    base = dict(task="reenactment", data=data, profile=cfg.profile, device=device_name(device), domains=None,
                n_images=len(z_test), n_train=cfg.n_train,
                image_size=x.shape[2], **({"blocks": cfg.blocks} if cfg.blocks > 1 else {}),
                **({"forger_disc_layers": cfg.forger_disc_layers} if cfg.forger_disc_layers else {}))
    quality = x[:cfg.n_quality]

    # What each method publishes, per eps, with its cost.
    published: dict[tuple[str, float], tuple[np.ndarray, dict[str, Any]]] = {}
    for eps in cfg.eps:
        for method in cfg.methods:
            if method in _VARIANTS:
                defence, trained = _defence(method, eps, x, z, lm, cfg, device_type, cache_dir, verbose)
                info = {"seconds_per_image": seconds_per_image(defence.generate, quality),
                        **learned_defence_info(defence, trained)}
                protected = defence.generate(x)
            elif method == "initiative_universal":  # the PG of ``initiative``, its mean perturbation on every frame
                defence, trained = _defence("initiative", eps, x, z, lm, cfg, device_type, cache_dir, verbose)
                protected = defence.generate(x, pattern="shared")
                info = {"seconds_per_image": seconds_per_image(lambda a, d=defence: d.generate(a, pattern="shared"),
                                                               quality), **learned_defence_info(defence, trained)}
            elif method in POISON_METHODS:  # the whole optimisation per video: its cost per frame is amortised
                protected, info = _poison(method, eps, x, z, cfg, device_type, cache_dir, verbose)
            elif method in _NOISE:
                noise = _NOISE[method]
                protected = noise(x, eps, seed=cfg.forger_seed)
                info = {"seconds_per_image": seconds_per_image(lambda a, e=eps, f=noise: f(a, e), quality)}
            else:
                continue
            info.update(protection_metrics(quality, protected[:cfg.n_quality], device=str(device)))
            published[(method, eps)] = protected, info
            logger.info("%s eps %g: %s", method, eps, info)

    records, grid = [], []
    seeds = [cfg.forger_seed + 2 * k for k in range(cfg.forger_seeds)]
    trained: dict[tuple[str, int], str] = {}  # (network, iterations) -> the first target that trained it
    for arch in cfg.targets:
        t = time.perf_counter()
        network = (repr(build_model(arch, x.shape[2], cfg.width, 0)), cfg.iterations_for(arch))
        if network in trained:  # e.g. unet128 and unet256 below 256 px: the same network, seeds and data
            first = trained[network]
            records += [{**r, "target": arch, "same_network_as": first} for r in records if r["target"] == first]
            logger.info("%s is the same network as %s at %d px: its records are %s's", arch, first, x.shape[2], first)
            continue
        trained[network] = arch
        clean = {s: _forger(z, x, arch, s, cfg, device_type, cache_dir).predict(z_test) for s in seeds}
        y = clean[seeds[0]]
        real_clean = [_to_real(x_test, clean[s], device) for s in seeds]
        runs: list[tuple[str, float, np.ndarray, dict[str, Any]]] = []
        if "none" in cfg.methods:
            runs.append(("none", 0.0, x, {"psnr": None, "ssim": None, "lpips_protected": None,
                                          "seconds_per_image": 0.0}))
        runs += [(m, e, p, info) for (m, e), (p, info) in published.items()]
        for method, eps, protected, info in runs:
            per_seed, outputs = [], []
            for s in seeds:
                outputs.append(_forger(z, protected, arch, s + 1, cfg, device_type, cache_dir).predict(z_test))
                l1_real, lpips_real = _to_real(x_test, outputs[-1], device)
                per_seed.append({**forgery_metrics(clean[s], outputs[-1], metric="l1", device=str(device)),
                                 "l1_to_real": l1_real, "lpips_to_real": lpips_real})
            y2 = outputs[0]
            records.append(make_record(**base, method=method, target=arch, eps=eps,
                                       forger_iterations=cfg.iterations_for(arch), **_mean_over_seeds(per_seed),
                                       **info, peak_memory_mb=peak_memory_mb(device),
                                       l1_to_real_clean=float(np.mean([r[0] for r in real_clean])),
                                       lpips_to_real_clean=float(np.mean([r[1] for r in real_clean])),
                                       l1_to_real_clean_std=float(np.std([r[0] for r in real_clean])),
                                       lpips_to_real_clean_std=float(np.std([r[1] for r in real_clean]))))
            if arch == cfg.targets[0] and eps in (0.0, cfg.eps[0]):
                grid.append((method, y2[:8]))
            if verbose:
                r = records[-1]
                print(f"{arch:8s} {method:18s} eps {eps:.2f}: DSR {100 * r['dsr']:5.1f}%  L1 {r['l1']:.4f}  "
                      f"L1 to real {r['l1_to_real']:.4f} (clean forger {r['l1_to_real_clean']:.4f})", flush=True)
        if arch == cfg.targets[0] and figure_path:
            forged = dict(grid)
            shown = forged.get("initiative", next(iter(forged.values()), y[:8]))
            rows = [x[:8]] + [published[(m, cfg.eps[0])][0][:8] for m in cfg.methods
                              if (m, cfg.eps[0]) in published]
            rows += [x_test[:8], y[:8]] + list(forged.values())
            rows += [np.repeat(2 * lbp_maps(r)[:, None] - 1, 3, axis=1) for r in (y[:8], shown)]
            save_grid(rows, figure_path)
        logger.info("%s done in %.0f s", arch, time.perf_counter() - t)
    return records
