"""The forgers of a drift curve (``strength_transfer.py`` with several ``--forger``): the demo's released model
(``make demo``'s setting, ``--arch``) fine-tuned on the forger's faces for each of ``--lengths`` iterations, one
run continued from length to length in the cache, and with ``--scratch`` the same architecture trained from random
weights on the forger's faces for the released model's iterations (the paper's gray-box protocol). The released
model is trained first if the cache does not hold it; a demo's ``cache`` folder can be given to reuse its models
(with the demo's own ``--image-size`` / ``--width`` / ``--n-train`` / ``--target-iterations`` if it changed them).

Prints the ``--public`` and ``--forger LABEL=PATH`` arguments of ``strength_transfer.py``::

    .venv/bin/python benchmarks/drift_forgers.py --cache /tmp/drift/cache --lengths 500 1000 2000 4000 8000 --scratch

With ``--on defender`` it trains what the defender itself can: the released model fine-tuned on the defender's own
faces (another seed), and prints ``--pgd-on LABEL=PATH`` arguments (PGD computed on those models, scored on the
forgers).

With ``--independent K`` it trains, instead, K models of the same architecture from random weights for the released
model's iterations, each with its own seed: on the defender's faces (``--on defender``, labels ``indep<seed>``;
printed as ``--pgd-on ens<k>=PUBLIC+...`` arguments, the released model with the first k - 1 of them: a CMUA-style
ensemble of independently trained surrogates) or on the forger's faces (``--on forger``, labels
``scratch<seed>``; printed as ``--forger`` arguments: more forgers the defender never saw)::

    .venv/bin/python benchmarks/drift_forgers.py --cache /tmp/drift/cache --on defender --independent 6
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, AttributeData, attribute_data
from art_initiative.benchmark.testbed import (
    FORGER_RECIPES,
    defender_surrogate,
    forger_target,
    forger_target_path,
    public_model,
    target_path,
    train_target,
)

SELF_SEED = 3  # the seed offset of the defender's own fine-tuning (the released model has 1, the forger 2)
# The seed offsets of independently trained models (``--independent``): the defender's from 10, the forger's from 20.
INDEPENDENT_SEEDS = {"defender": 10, "forger": 20}


def self_drift_args(split: AttributeData, bench: AttributeBenchmarkConfig) -> tuple:
    """The leading arguments of :func:`train_target` / :func:`target_path` for the defender's own fine-tuning of
    ``bench``'s released model (its first target's architecture): the defender's faces and SD labels, the
    architecture, the seed and the public-model settings."""
    (xd, ld), sd = split.defender, split.columns("SD")
    return xd, ld[:, sd], bench.targets[0], bench.seed + SELF_SEED, replace(bench, forger_start="public")


def self_drift(bench: AttributeBenchmarkConfig, lengths: list[int], cache: str, device_type: str = "cpu",
               verbose: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """The defender's own drift: the released model fine-tuned on the defender's faces (which it trained on; the
    forger's are never used) with another seed than the forger's, for each of ``lengths`` (labels ``self<N>``, one
    run continued). What the defender can compute to guess where a forger's fine-tuning goes. Returns the released
    model's path and the ``(label, path)`` of each."""
    if not lengths or any(n < 1 for n in lengths):
        raise ValueError(f"lengths must be fine-tuning iterations >= 1, got {lengths}.")
    split = attribute_data("synthetic", bench)
    public = replace(bench, forger_start="public")
    defender_surrogate(split, public, device_type, cache, verbose=verbose)
    released = public_model(split, public, cache)
    args, models = self_drift_args(split, bench), []
    for n in sorted(set(lengths)):
        start = time.perf_counter()
        train_target(*args, device_type, cache, iterations=n, verbose=verbose, init_from=released)
        models.append((f"self{n}", target_path(*args, cache, iterations=n, init_from=released)))
        if verbose:
            print(f"self{n}: {models[-1][1]} ({time.perf_counter() - start:.0f} s)", flush=True)
    return released, models


def independent_models(bench: AttributeBenchmarkConfig, k: int, on: str, cache: str, device_type: str = "cpu",
                       verbose: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """``k`` models of ``bench``'s first architecture trained from random weights for the released model's
    iterations (``bench.target_iterations``), each with its own seed, on the ``on`` side's faces (``"defender"``:
    labels ``indep<seed>``, surrogates the defender can train; ``"forger"``: labels ``scratch<seed>``, forgers
    independent of everything the defender has). Returns the released model's path (trained first if missing) and
    the ``(label, path)`` of each, in seed order."""
    if k < 1:
        raise ValueError(f"k must be a number of models >= 1, got {k}.")
    if on not in INDEPENDENT_SEEDS:
        raise ValueError(f"on must be one of {sorted(INDEPENDENT_SEEDS)}, got {on!r}.")
    split = attribute_data("synthetic", bench)
    public = replace(bench, forger_start="public")
    defender_surrogate(split, public, device_type, cache, verbose=verbose)
    (x, labels), sd = (split.defender if on == "defender" else split.forger), split.columns("SD")
    prefix, models = "indep" if on == "defender" else "scratch", []
    for seed in range(bench.seed + INDEPENDENT_SEEDS[on], bench.seed + INDEPENDENT_SEEDS[on] + k):
        start = time.perf_counter()
        args = (x, labels[:, sd], bench.targets[0], seed, bench)
        train_target(*args, device_type, cache, verbose=verbose)
        models.append((f"{prefix}{seed}", target_path(*args, cache)))
        if verbose:
            print(f"{models[-1][0]}: {models[-1][1]} ({time.perf_counter() - start:.0f} s)", flush=True)
    return public_model(split, public, cache), models


def ensemble_args(public: str, models: list[tuple[str, str]]) -> list[str]:
    """``--pgd-on`` arguments of ``strength_transfer.py`` for growing ensembles: ``ens<k>`` is the released model
    with the first ``k - 1`` of ``models``, for k = 2 .. len(models) + 1."""
    return [f"--pgd-on ens{k}=" + "+".join([public, *[path for _, path in models[:k - 1]]])
            for k in range(2, len(models) + 2)]


def drift_forgers(bench: AttributeBenchmarkConfig, lengths: list[int], scratch: bool, cache: str,
                  device_type: str = "cpu", verbose: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """Train (or read from ``cache``) the released model and the forgers of ``bench``'s first target: one
    fine-tuned for each of ``lengths`` (labels ``ft<N>``, in increasing order so that each run continues the
    last) and, with ``scratch``, one from random weights (label ``scratch``). Returns the released model's path and
    the ``(label, path)`` of each forger."""
    if not lengths and not scratch:
        raise ValueError("drift_forgers needs lengths (fine-tuning iterations) or scratch=True, got neither.")
    if any(n < 1 for n in lengths):
        raise ValueError(f"lengths must be fine-tuning iterations >= 1, got {lengths}.")
    split = attribute_data("synthetic", bench)
    public = replace(bench, forger_start="public")
    defender_surrogate(split, public, device_type, cache, verbose=verbose)
    arch, forgers = bench.targets[0], []
    for label, cfg in [(f"ft{n}", replace(public, finetune_iterations=n)) for n in sorted(set(lengths))] + \
            ([("scratch", replace(bench, forger_start="scratch"))] if scratch else []):
        start = time.perf_counter()
        forger_target(split, cfg, arch, "SD", device_type, cache, verbose=verbose)
        forgers.append((label, forger_target_path(split, cfg, arch, "SD", cache)))
        if verbose:
            print(f"{label}: {forgers[-1][1]} ({time.perf_counter() - start:.0f} s)", flush=True)
    return public_model(split, public, cache), forgers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True, help="the cache folder (a demo's cache reuses its models)")
    parser.add_argument("--arch", default="cnet", help="the demo's architecture (DemoConfig.arch)")
    parser.add_argument("--image-size", type=int, help="DemoConfig.image_size (default: the demo's)")
    parser.add_argument("--width", type=int, help="DemoConfig.width, the generators' channels (default: the demo's)")
    parser.add_argument("--n-train", type=int, help="DemoConfig.n_train, faces per split (default: the demo's)")
    parser.add_argument("--target-iterations", type=int,
                        help="DemoConfig.target_iterations, the released model's (default: the demo's)")
    parser.add_argument("--lengths", type=int, nargs="*", default=[500, 1000, 2000, 4000, 8000],
                        help="the forger's fine-tuning iterations")
    parser.add_argument("--scratch", action="store_true", help="also a forger trained from random weights")
    parser.add_argument("--on", choices=("forger", "defender"), default="forger",
                        help="defender: the defender's own fine-tuning of the released model on its faces "
                        "(labels self<N>, printed as --pgd-on arguments; no scratch model)")
    parser.add_argument("--independent", type=int, default=0, metavar="K",
                        help="instead: K models from random weights with their own seeds on the --on side's faces")
    parser.add_argument("--recipe", choices=sorted(FORGER_RECIPES), default=None,
                        help="how every model is trained (default: the demo's, StarGAN's own; hardened: with an "
                        "identity term)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    args = parser.parse_args(argv)
    if args.on == "defender" and args.scratch:
        parser.error("--scratch is a forger's model; it does not go with --on defender")
    if args.independent < 0:
        parser.error(f"--independent must be a number of models >= 1, got {args.independent}")
    from art_initiative.benchmark.demo import DemoConfig

    given = {k: getattr(args, k) for k in ("image_size", "width", "n_train", "target_iterations")
             if getattr(args, k) is not None}
    demo = DemoConfig(arch=args.arch, **given)
    bench = demo.benchmark_config() if args.recipe is None else replace(demo.benchmark_config(), recipe=args.recipe)
    if args.independent:
        public, models = independent_models(bench, args.independent, args.on, args.cache,
                                            args.device, verbose=True)
        printed = ensemble_args(public, models) if args.on == "defender" else \
            [f"--forger {label}={path}" for label, path in models]
        print(" ".join([f"--public {public}", *printed]))
        return 0
    if args.on == "defender":
        public, models = self_drift(bench, args.lengths, args.cache, args.device, verbose=True)
        print(" ".join([f"--public {public}"] + [f"--pgd-on {label}={path}" for label, path in models]))
        return 0
    public, forgers = drift_forgers(bench, args.lengths, args.scratch, args.cache, args.device,
                                    verbose=True)
    print(" ".join([f"--public {public}"] + [f"--forger {label}={path}" for label, path in forgers]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
