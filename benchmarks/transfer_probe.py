"""Does anything computed on the defender's surrogate transfer to an independently trained forger?

Table 1's black-box rows need a perturbation that moves a forger the defender never saw. Before tuning the learned
PG, this probe measures the ceiling with per-image attacks, which are stronger than any one-pass generator on the
model they are computed on: Ruiz et al.'s PGD on the surrogate, on an ensemble of the surrogate's training
snapshots (what alternating training shows PG), on an ensemble of independently trained models, and with the
transfer tricks of the classifier literature (translation-invariant gradients, momentum, input diversity,
feature-level loss). Everything is scored on the defender's *validation* targets, never on the benchmark's test
split: StarGANs the defender trains itself on other faces it renders (``SyntheticFaces(seed=100)``), with the
forger's recipe. The cached ``initiative`` defence of the harness is scored on them as well when it exists.

Validation targets: ``res6`` and ``cnet`` (seed 3: another initialisation and other faces), and ``res6-same-init``
(the surrogate's own seed, so the same initial weights and batch order, but other faces).

    .venv/bin/python benchmarks/transfer_probe.py [--image-size 32] [--n 50]

Writes ``benchmarks/results/transfer_probe-synthetic-cpu-<size>.{json,md}``; trains (and caches in
``benchmarks/cache``) whatever model is missing, which takes hours on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from art_initiative.attacks import RuizDisruption
from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
from art_initiative.benchmark.common import digest
from art_initiative.benchmark.testbed import train_target
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.data.synthetic import ALL_ATTRIBUTES, PAPER_ATTRIBUTES
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models.layers import condition_maps

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "cache")
RESULTS = os.path.join(HERE, "results")
SD = [ALL_ATTRIBUTES.index(a) for a in PAPER_ATTRIBUTES]
EPS, STEP = 0.05, 0.01


def forgeries(model: PyTorchImageTranslator, x: torch.Tensor, doms: list[torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model.model(x, c) for c in doms])


def score(model: PyTorchImageTranslator, x: torch.Tensor, xp: torch.Tensor, doms: list[torch.Tensor]
          ) -> dict[str, float]:
    """DSR at MSE > 0.05 / 0.02 / 0.01 and the mean MSE over (image, domain) pairs."""
    m = ((forgeries(model, x, doms) - forgeries(model, xp, doms)) ** 2).flatten(1).mean(1)
    return {"dsr": float((m > 0.05).float().mean()), "dsr_0.02": float((m > 0.02).float().mean()),
            "dsr_0.01": float((m > 0.01).float().mean()), "mse": float(m.mean())}


def sign_noise(x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The control: ``x + eps * sign(u)`` with a seeded uniform ``u``, clipped to [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    return (x + EPS * torch.sign(torch.rand(x.shape, generator=g) - 0.5)).clamp(-1, 1)


def _gauss(k: int) -> torch.Tensor:
    a = torch.arange(k, dtype=torch.float32) - k // 2
    g = torch.exp(-a ** 2 / (2 * (k / 4) ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None]).expand(3, 1, k, k).contiguous()


def ensemble_pgd(models: list[PyTorchImageTranslator], x: torch.Tensor, doms: list[torch.Tensor], iters: int = 20,
                 step: float = 0.005, ti: int = 0, momentum: float = 0.0, diversity: int = 0,
                 feature_layer: int | None = None, seed: int = 0) -> torch.Tensor:
    """Joint L-inf PGD (random start) maximising the summed MSE to the clean outputs of every model and domain.

    :param ti: smooth the gradient with a Gaussian of this kernel size (translation-invariant attack).
    :param momentum: MI-FGSM's decay (0: none).
    :param diversity: random resize by up to this many pixels and pad back (DI-FGSM).
    :param feature_layer: compare the generator's activations after this many layers instead of its output.
    """
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)

    def out(model: PyTorchImageTranslator, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        net = model.model
        return net(z, c) if feature_layer is None else net.main[:feature_layer](condition_maps(z, c))

    with torch.no_grad():
        refs = [torch.cat([out(m, x, c) for c in doms]) for m in models]
    size = x.shape[-1]
    xa = (x + (torch.rand(x.shape, generator=g) * 2 - 1) * EPS).clamp(-1, 1)
    mom = torch.zeros_like(x)
    for _ in range(iters):
        xa.requires_grad_(True)
        z = xa
        if diversity:
            s = int(rng.integers(size - diversity, size + 1))
            z = F.interpolate(z, size=(s, s), mode="bilinear", align_corners=False)
            p = size - s
            left, top = int(rng.integers(0, p + 1)), int(rng.integers(0, p + 1))
            z = F.pad(z, (left, p - left, top, p - top), mode="replicate")
        loss = sum(((torch.cat([out(m, z, c) for c in doms]) - r) ** 2).mean()
                   for m, r in zip(models, refs, strict=True))
        grad, = torch.autograd.grad(loss, xa)
        if ti:
            grad = F.conv2d(grad, _gauss(ti), padding=ti // 2, groups=3)
        if momentum:
            mom = momentum * mom + grad / grad.abs().mean((1, 2, 3), keepdim=True).clamp_min(1e-12)
            grad = mom
        xa = (x + (xa.detach() + step * grad.sign() - x).clamp(-EPS, EPS)).clamp(-1, 1)
    return xa.detach()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--iterations", type=int, default=None, help="forger iterations (default: the cpu profile's)")
    parser.add_argument("--n", type=int, default=50, help="validation faces (x 5 domains)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pg-iterations", type=int, default=600, help="iterations of the probe's PG rows")
    parser.add_argument("--targets", default="res6,cnet,res6-same-init",
                        help="validation targets (of res6, cnet, res6-same-init)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    cfg = AttributeBenchmarkConfig(image_size=args.image_size).validate()
    iterations = args.iterations or (cfg.target_iterations if args.image_size == 32 else 2500)
    xd, ld = attribute_data("synthetic", cfg).defender
    ld = ld[:, SD]
    train, test = SyntheticFaces(2000 + args.n, args.image_size, seed=100, attributes=ALL_ATTRIBUTES).split(
        [2000, args.n])
    (xv, lv), (xt, lt) = train.arrays(), test.arrays()
    lv, lt = lv[:, SD], lt[:, SD]

    def model(x: np.ndarray, y: np.ndarray, arch: str, seed: int, k: int = iterations) -> PyTorchImageTranslator:
        return train_target(x, y, arch, seed, cfg, "cpu", CACHE, iterations=k)

    snapshots = {k: model(xd, ld, "res6", cfg.seed + 1, k) for k in (iterations // 2, iterations)}
    surrogate = snapshots[iterations]
    specs = {"res6": ("res6", 3), "cnet": ("cnet", 3), "res6-same-init": ("res6", cfg.seed + 1)}
    wanted = [t for t in args.targets.split(",") if t]
    if not wanted or any(t not in specs for t in wanted):
        parser.error(f"--targets must name some of {sorted(specs)}, got {args.targets!r}")
    targets = {t: model(xv, lv, *specs[t]) for t in wanted}
    early = {t: model(xv, lv, *specs[t], iterations // 2) for t in ("res6", "cnet") if t in targets}
    x = torch.from_numpy(xt)
    doms = [torch.from_numpy(c) for c in target_domains(lt, PAPER_ATTRIBUTES)]
    records: list[dict] = []

    def add(method: str, source: str, make: Callable[[], torch.Tensor], on: dict[str, PyTorchImageTranslator]
            ) -> None:
        xp = make()
        for name, target in on.items():
            records.append({"method": method, "source": source, "target": name, "image_size": args.image_size,
                            "iterations": iterations, "n_pairs": len(x) * len(doms), **score(target, x, xp, doms)})
            r = records[-1]
            print(f"{method:28s} {source:34s} -> {name:15s} DSR {100 * r['dsr']:5.1f}% (>0.01 "
                  f"{100 * r['dsr_0.01']:5.1f}%)  MSE {r['mse']:.4f}", flush=True)

    every = {"surrogate": surrogate, **targets}
    for name, target in every.items():
        add("white-box PGD-20", name, lambda t=target: ensemble_pgd([t], x, doms), {name: target})
        add("sign noise", "-", lambda: sign_noise(x), {name: target})
    ruiz = RuizDisruption(surrogate, method="pgd", eps=EPS, eps_step=STEP, max_iter=10, class_mode="joint",
                          verbose=False)
    add("Ruiz PGD-10 (package)", "surrogate",
        lambda: torch.from_numpy(ruiz.generate(xt, conditions=[d.numpy() for d in doms])), targets)
    variants = {"PGD-20": {}, "PGD-20 + TI (7x7)": {"ti": 7}, "PGD-20 + momentum": {"momentum": 1.0},
                "PGD-20 + input diversity": {"diversity": 3}, "PGD-20, encoder features": {"feature_layer": 9},
                "PGD-20 + TI + MI + DI": {"ti": 7, "momentum": 1.0, "diversity": 3}}
    for method, kw in variants.items():
        add(method, "surrogate", lambda kw=kw: ensemble_pgd([surrogate], x, doms, **kw), targets)
    add("PGD-20", f"surrogate snapshots ({iterations // 2}, {iterations})",
        lambda: ensemble_pgd(list(snapshots.values()), x, doms), targets)
    if "res6" in targets and "cnet" in targets:
        add("PGD-20", "surrogate + res6 (seed 3)", lambda: ensemble_pgd([surrogate, targets["res6"]], x, doms),
            {"cnet": targets["cnet"]})
        add("PGD-20", "surrogate + cnet (seed 3)", lambda: ensemble_pgd([surrogate, targets["cnet"]], x, doms),
            {"res6": targets["res6"]})
    add("PGD-20", f"surrogate + the targets' own {iterations // 2}-iteration snapshots",
        lambda: ensemble_pgd([surrogate, *early.values()], x, doms), {t: targets[t] for t in early})

    # The package's PG against the frozen surrogate itself (Algorithm 1 without ATS, SM = the surrogate's weights:
    # a single warm-up iteration takes no SM step), with and without input diversity.
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.benchmark.common import cached_defence

    for shift in (0, 2):
        overrides = dict(sm_init="estimator", alternating=False, sm_pretrain_iterations=1,
                         iterations=args.pg_iterations, augment_shift=shift, eps=EPS)
        pg, _ = cached_defence(InitiativeDefense, surrogate, "cpu", overrides, lambda d, path: d.fit(xd, ld,
                            checkpoint_path=path), os.path.join(CACHE, f"probe-pg-shift{shift}-it{args.pg_iterations}-"
                                                                      f"{digest(xd, ld)}"), False)
        add(f"PG, {args.pg_iterations} iterations, shift {shift}", "the frozen surrogate",
            lambda pg=pg: torch.from_numpy(pg.generate(xt)), every)

    stem = os.path.join(CACHE, f"initiative-cpu-eps{EPS:g}-{digest(xd, ld)}")
    if args.image_size == 32 and os.path.exists(stem + ".pt"):
        defence = InitiativeDefense.load(stem + ".pt", surrogate, verbose=False)
        add("initiative PG (the harness's)", "its own SM (Algorithm 1, cpu profile)",
            lambda: torch.from_numpy(defence.generate(xt)), every)

    out = os.path.join(RESULTS, f"transfer_probe-synthetic-cpu-{args.image_size}")
    command = "python benchmarks/transfer_probe.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for r in records:
        r["command"] = command
    with open(out + ".json", "w", encoding="utf-8") as fh:
        json.dump(records, fh, indent=1)
    lines = [f"# Transfer probe: synthetic faces, {args.image_size} px, forgers at {iterations} iterations", "",
             f"Command: `{command}` ({time.perf_counter() - t0:.0f} s). eps {EPS}, {len(x)} validation faces x "
             f"{len(doms)} domains (the defender's own renders, not the benchmark's test split). Targets are the "
             "defender's validation StarGANs trained by the forger's recipe: `res6` and `cnet` from another "
             "initialisation (seed 3) on other faces, `res6-same-init` from the surrogate's own seed on other "
             "faces.", "",
             "| method | computed on | scored on | DSR >0.05 | >0.02 | >0.01 | MSE |", "|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['method']} | {r['source']} | {r['target']} | {100 * r['dsr']:.1f}% | "
                     f"{100 * r['dsr_0.02']:.1f}% | {100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} |")
    with open(out + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {out}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
