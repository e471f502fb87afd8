"""Issue #12's drift curve at a GPU's scale: one prepared command for a lent GPU machine (the ``device`` tool).

On 2 CPU cores the alternating (ATS) PG overtakes the Ruiz baseline once the forger has fine-tuned the released model
for 2000 iterations or more (``strength_transfer-synthetic-cpu-public-32-cnet-drift``), at 32 px with a 1000-iteration
released model. This script repeats that curve at ``--image-size`` (64 px by default) with wider networks and PGs
trained as long as the time allows, in the demo's public-model scenario (``make demo``'s setting, scaled by the
arguments), with nothing to prepare but the wheels (below):

1. the faces are rendered (the defender's, the forger's, and the ``defence_faces=N`` of every variant), and the
   released model (``--arch``, on the defender's faces) is trained in rounds of ``--step`` iterations until
   ``--release-seconds`` have passed or ``--target-iterations`` are reached; the last round is the released model;
2. concurrently, one process each: the forger fine-tunes the released model on its faces for each of ``--lengths``
   iterations (one run, continued) and, with ``--scratch``, another forger trains the same architecture from random
   weights in rounds up to the released model's iterations; every ``--defence NAME=STEP[,KEY=VALUE...]`` trains
   the harness's ``initiative`` PG from the released model in rounds of STEP alternating iterations at a constant
   rate (each round resumes the last) with those settings (``InitiativeConfig`` keys, or ``defence_faces=N``).
   Each job stops before a round that its last round's pace says would end after ``--train-seconds``. With
   ``--self-lengths``, one more process fine-tunes the released model on the *defender's* faces with its own seed
   for those lengths (``self<N>``, ``drift_forgers.py --on defender``: the defender's guess at the forger's drift),
   and a variant with ``surrogates=self<N>+self<M>`` (labels of those lengths) waits for them and trains against
   them as further frozen surrogates (``InitiativeDefense(surrogates=...)``, the drift ensemble);
3. ``strength_transfer.py`` scores every variant's PG after up to ``--curve-points`` of its rounds (always the
   last), Ruiz PGD-10 on the released model (and at each ``--ruiz-budget``, by default 50 steps of 0.01, the
   strongest measured), PGD-10 on the released model and each ensemble variant's surrogates,
   white-box PGD-10 on each forger and sign noise, on ``--faces`` fresh faces (seed 123, never the test split), on
   the released model and every forger.

Written under ``--output``: ``strength_transfer-synthetic-<device>-<size>-<arch>-drift.{json,md,png}`` (the curve)
and ``gpu_drift-<device>-<size>-<arch>.json`` (what each job trained, with its seconds, and the command). The
checkpoints stay in ``--cache-dir``. The GPU machine has PyTorch but neither this package's other needs nor a
network; download the wheels here first (``benchmarks/device_testbed.sh`` says how), then run
``bash benchmarks/device_drift.sh`` with ``.whl`` carried. On a CPU the same code runs at tiny settings (the test
``tests/benchmark/test_gpu_drift_script.py``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import json
import multiprocessing
import os
import pickle
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the sibling scripts below

from demo_levers import parse_variant  # noqa: E402
from drift_forgers import self_drift_args  # noqa: E402
from gpu_testbed import curve, device_slug, rounds  # noqa: E402
from strength_transfer import main as strength_transfer_main  # noqa: E402
from strength_transfer import pgd_budget  # noqa: E402

from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data  # noqa: E402
from art_initiative.benchmark.demo import DemoConfig  # noqa: E402
from art_initiative.benchmark.protections import (  # noqa: E402
    defence_config,
    defence_training_faces,
    method_protection,
)
from art_initiative.benchmark.testbed import (  # noqa: E402
    defender_surrogate,
    forger_target,
    forger_target_path,
    public_model,
    target_path,
    train_target,
)


def bench_config(ns: argparse.Namespace, target_iterations: int, settings: dict[str, Any] | None = None,
                 iterations: int | None = None) -> AttributeBenchmarkConfig:
    """The demo's harness settings at this run's scale, with a defence variant's ``settings`` at ``iterations``
    alternating iterations (constant rates unless the settings say otherwise)."""
    settings = dict(settings or {})
    demo = DemoConfig(arch=ns.arch, image_size=ns.image_size, width=ns.width, disc_width=ns.disc_width,
                      n_train=ns.n_train,
                      target_iterations=target_iterations, defence_iterations=iterations,
                      defence_faces=settings.pop("defence_faces", None),
                      defence_surrogates=tuple(settings.pop("surrogates", ())),
                      defence_settings={"lr_decay_start": 0, **settings})
    return replace(demo.benchmark_config(), n_jobs=ns.n_jobs)


def forger_job(job: dict[str, Any]) -> dict[str, Any]:
    """One forger (in its own process): the released model fine-tuned for each length (``ft<N>``, one run
    continued), or with ``job["scratch"]`` the same architecture from random weights in rounds up to the released
    model's iterations (``scratch``; ``scratch<N>`` if the time ran out after N)."""
    torch.set_num_threads(job["threads"])
    with open(job["split"], "rb") as fh:
        split = pickle.load(fh)
    bench: AttributeBenchmarkConfig = job["bench"]
    arch = bench.targets[0]
    if job["scratch"]:
        def config(n: int) -> AttributeBenchmarkConfig:
            return replace(bench, forger_start="scratch", target_iterations=n)
    else:
        def config(n: int) -> AttributeBenchmarkConfig:
            return replace(bench, forger_start="public", finetune_iterations=n)

    name = "scratch" if job["scratch"] else "forger"
    out = rounds(job["lengths"], lambda n: forger_target(split, config(n), arch, "SD", job["device_type"],
                                                        job["cache_dir"]), job["deadline"], name)
    if job["scratch"]:
        out["paths"] = [("scratch" if n == bench.target_iterations else f"scratch{n}",
                         forger_target_path(split, config(n), arch, "SD", job["cache_dir"]))
                        for n in out["iterations"][-1:]]
    else:
        out["paths"] = [(f"ft{n}", forger_target_path(split, config(n), arch, "SD", job["cache_dir"]))
                        for n in out["iterations"]]
    return out


def self_job(job: dict[str, Any]) -> dict[str, Any]:
    """The defender's own drift (in its own process): the released model fine-tuned on the defender's faces for
    each length (``self<N>``, one run continued)."""
    torch.set_num_threads(job["threads"])
    with open(job["split"], "rb") as fh:
        split = pickle.load(fh)
    bench: AttributeBenchmarkConfig = job["bench"]
    args = self_drift_args(split, bench)
    released = public_model(split, replace(bench, forger_start="public"), job["cache_dir"])
    out = rounds(job["lengths"], lambda n: train_target(*args, job["device_type"], job["cache_dir"], iterations=n,
                                                       init_from=released), job["deadline"], "self")
    out["paths"] = [(f"self{n}", job["paths"][f"self{n}"]) for n in out["iterations"]]  # where run() expects them
    return out


def trained(path: str) -> bool:
    """Whether the :func:`train_target` checkpoint at ``path`` holds all of its iterations (a run in progress
    writes its checkpoint there every 500 iterations; the sidecar is written after the weights)."""
    sidecar = path[:-3] + ".json"
    if not os.path.exists(sidecar):
        return False
    with open(sidecar, encoding="utf-8") as fh:
        stored = json.load(fh)
    return int(stored["state"]["iteration"]) >= int(stored["config"]["iterations"])


def defence_job(job: dict[str, Any]) -> dict[str, Any]:
    """One defence variant (in its own process): the ``initiative`` PG in rounds, each round's PG kept; a variant
    with further surrogates first waits until they are trained (or the deadline passes)."""
    torch.set_num_threads(job["threads"])
    with open(job["split"], "rb") as fh:
        split = pickle.load(fh)
    waited = time.time()
    while not all(trained(p) for p in job["settings"].get("surrogates", ())):
        if time.time() > job["deadline"]:
            return {"name": job["name"], "iterations": [], "round_seconds": [], "paths": [],
                    "error": "its surrogates were not trained before the deadline"}
        time.sleep(job.get("poll_seconds", 5.0))
    ns = argparse.Namespace(**job["ns"])
    released = defender_surrogate(split, bench_config(ns, job["target_iterations"]), job["device_type"],
                                  job["cache_dir"])
    folder = os.path.join(job["cache_dir"], f"defence-{job['name']}")
    os.makedirs(folder, exist_ok=True)
    kept: list[tuple[int, str]] = []

    def train(n: int) -> None:
        cfg = bench_config(ns, job["target_iterations"], job["settings"], n)
        _, _, defence = method_protection("initiative", split, cfg, released, folder, verbose=False)
        path = os.path.join(folder, f"pg-it{n}.pt")
        defence.save(path)
        kept.append((n, path))

    first = bench_config(ns, job["target_iterations"], job["settings"], job["lengths"][0])
    warm_up = defence_config("initiative", first).sm_pretrain_iterations
    out = rounds(job["lengths"], train, job["deadline"], job["name"], first_has_warm_up=warm_up > 0)
    out["paths"] = kept
    out["waited_seconds"] = time.time() - waited - sum(out.get("round_seconds", []))
    return out


def run(ns: argparse.Namespace) -> dict[str, Any]:
    """Everything the module docstring says; returns what was trained and written."""
    t0 = time.time()
    command = "python benchmarks/gpu_drift.py " + shlex.join(ns.argv)
    variants = [parse_variant(spec, "--defence") for spec in ns.defence]
    if len({name for name, _, _ in variants}) < len(variants):
        raise ValueError(f"--defence names must differ, got {[name for name, _, _ in variants]}.")
    cache_dir = ns.cache_dir or tempfile.mkdtemp(prefix="gpu_drift_cache_")
    os.makedirs(cache_dir, exist_ok=True)
    os.makedirs(ns.output, exist_ok=True)
    bench = bench_config(ns, ns.step)
    split = attribute_data("synthetic", bench)
    for _, step, settings in variants:  # render every variant's extra faces once, here (its surrogates come later)
        defence_training_faces(split, bench_config(ns, ns.step, {k: v for k, v in settings.items()
                                                                 if k != "surrogates"}, step))
    print(f"rendered the faces in {time.time() - t0:.0f} s", flush=True)

    # 1. The released model, in rounds until its deadline.
    torch.set_num_threads(ns.threads)
    release = rounds(list(range(ns.step, ns.target_iterations + 1, ns.step)),
                     lambda n: defender_surrogate(split, bench_config(ns, n), ns.device, cache_dir),
                     time.time() + ns.release_seconds, "released model")
    if not release["iterations"]:
        raise RuntimeError(f"the released model completed no round: {release}")
    released_its = release["iterations"][-1]
    bench = bench_config(ns, released_its)
    public = public_model(split, replace(bench, forger_start="public"), cache_dir)
    self_args = self_drift_args(split, bench)
    self_paths = {f"self{n}": target_path(*self_args, cache_dir, iterations=n, init_from=public)
                  for n in sorted(set(ns.self_lengths))}
    variants = [(name, step, {**settings, "surrogates": tuple(self_paths[label] for label in settings["surrogates"])}
                 if "surrogates" in settings else settings) for name, step, settings in variants]

    # 2. The forgers and the defences, concurrently, one process each.
    deadline = time.time() + ns.train_seconds
    with tempfile.TemporaryDirectory(prefix="gpu_drift_data_") as scratch:
        split_path = os.path.join(scratch, "split.pkl")
        with open(split_path, "wb") as fh:
            pickle.dump(split, fh)
        base = dict(split=split_path, cache_dir=cache_dir, device_type=ns.device, deadline=deadline,
                    threads=ns.threads)
        jobs: list[tuple[Callable[[dict[str, Any]], dict[str, Any]], dict[str, Any]]] = [
            (forger_job, dict(base, bench=bench, lengths=sorted(set(ns.lengths)), scratch=False))]
        if ns.scratch:
            jobs.append((forger_job, dict(base, bench=bench, scratch=True,
                                          lengths=sorted({*range(ns.step, released_its, ns.step), released_its}))))
        n_forgers = len(jobs)
        if self_paths:
            jobs.append((self_job, dict(base, bench=bench, paths=self_paths, lengths=sorted(set(ns.self_lengths)))))
        ns_fields = {k: v for k, v in vars(ns).items() if k != "argv"}
        jobs += [(defence_job, dict(base, name=name, settings=settings, target_iterations=released_its, ns=ns_fields,
                                    lengths=list(range(step, ns.pg_max_iterations + 1, step))))
                 for name, step, settings in variants]
        with futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
            results = [f.result() for f in [pool.submit(fn, job) for fn, job in jobs]]
    forgers = {"paths": [p for r in results[:n_forgers] for p in r["paths"]], "jobs": results[:n_forgers]}
    own = results[n_forgers] if self_paths else None
    defences = results[n_forgers + bool(self_paths):]
    print(f"trained in {time.time() - t0:.0f} s: released model {released_its}, forgers "
          + ", ".join(label for label, _ in forgers["paths"]) + ", "
          + ("" if own is None else "own " + (", ".join(label for label, _ in own["paths"]) or "none") + ", ")
          + ", ".join(f"{d['name']} {d['iterations'][-1] if d['iterations'] else 0}" for d in defences), flush=True)

    # 3. The drift curve.
    if not forgers["paths"]:
        raise RuntimeError(f"no forger completed: {forgers}")
    slug = f"{device_slug(ns.device)}-{ns.image_size}-{ns.arch}"
    stem = os.path.join(ns.output, f"strength_transfer-synthetic-{slug}-drift")
    args = ["--stem", stem, "--public", public, "--n-faces", str(ns.faces), "--device", ns.device]
    for label, path in forgers["paths"]:
        args += ["--forger", f"{label}={path}"]
    ensembles = {settings["surrogates"] for _, _, settings in variants if settings.get("surrogates")}
    label_of = {path: label for label, path in self_paths.items()}
    for paths in sorted(ensembles):  # per-image PGD on the same models as an ensemble PG: its control
        if all(trained(p) for p in paths):
            args += ["--pgd-on", "+".join(["public", *(label_of[p] for p in paths)]) + "=" + "+".join([public, *paths])]
    for d in defences:
        paths = dict(d["paths"])
        for n in curve(list(paths), ns.curve_points):
            args += ["--defence", f"{d['name']}-{n}={paths[n]}"]
    for spec in ns.ruiz_budget:
        args += ["--ruiz-budget", spec]
    args += ["--note", f"{command} ({ns.image_size} px, {ns.arch} {ns.width} wide, released model "
             f"{released_its} iterations on {ns.n_train} faces; PGs at a constant rate, labelled NAME-ITERATIONS)."]
    strength_transfer_main(args)
    summary = {"command": command, "device": device_slug(ns.device), "released_iterations": released_its,
               "release": release, "forgers": forgers, "own_drift": own, "defences": defences,
               "variants": ns.defence,
               "seconds": time.time() - t0, "curve": stem}
    with open(os.path.join(ns.output, f"gpu_drift-{slug}.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=1)
    print(f"done in {summary['seconds']:.0f} s", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    parser.add_argument("--arch", choices=("res6", "res9", "cnet", "unet128"), default="cnet",
                        help="the released model's architecture, the defence's surrogate and the forger's")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32, help="the released model's generator width")
    parser.add_argument("--disc-width", type=int, default=64, help="its discriminator's width")
    parser.add_argument("--n-train", type=int, default=4000, help="faces in each of the defender's and forger's splits")
    parser.add_argument("--target-iterations", type=int, default=6000, help="the released model's most iterations")
    parser.add_argument("--step", type=int, default=500, help="the released model's iterations per round")
    parser.add_argument("--release-seconds", type=float, default=150.0,
                        help="the released model stops after the round that would pass this")
    parser.add_argument("--lengths", type=int, nargs="+", default=[500, 1000, 2000, 4000, 8000, 16000],
                        help="the forger's fine-tuning iterations")
    parser.add_argument("--scratch", action="store_true", help="also a forger trained from random weights")
    parser.add_argument("--self-lengths", type=int, nargs="*", default=[2000, 8000],
                        help="the defender's own fine-tunings of the released model on its faces (self<N>), which a "
                        "variant's surrogates=self<N>+... trains against; none: no such job")
    parser.add_argument("--defence", action="append", metavar="NAME=STEP[,KEY=VALUE...]",
                        help="a PG variant trained in rounds of STEP alternating iterations (repeatable; default "
                        "ats and frozen, 64 wide, 20000 faces, rounds of 500)")
    parser.add_argument("--pg-max-iterations", type=int, default=100_000)
    parser.add_argument("--train-seconds", type=float, default=300.0,
                        help="every forger and defence job stops before a round that would pass this")
    parser.add_argument("--ruiz-budget", action="append", metavar="STEPS:STEP",
                        help="the baseline also at this budget on the curve (strength_transfer.py --ruiz-budget; "
                        "repeatable; default 50:0.01, the strongest measured at 32 px; Ruiz et al.'s 10:0.01 is "
                        "always the ruiz_pgd row)")
    parser.add_argument("--curve-points", type=int, default=2, help="rounds of each PG scored (always the last)")
    parser.add_argument("--faces", type=int, default=100, help="fresh faces (seed 123) of the curve")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of each process")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1, help="processes rendering the faces")
    parser.add_argument("--cache-dir", default=None, help="default: a fresh temporary folder")
    parser.add_argument("--output", default="benchmarks/results")
    ns = parser.parse_args(argv)
    ns.argv = list(sys.argv[1:] if argv is None else argv)
    if ns.defence is None:
        ns.defence = ["ats=500,pg_width=64,defence_faces=20000",
                      "frozen=500,pg_width=64,defence_faces=20000,alternating=false"]
        if {2000, 8000} <= set(ns.self_lengths):
            ns.defence.append("ensemble=500,pg_width=64,defence_faces=20000,alternating=false,"
                              "surrogates=self2000+self8000")
    if ns.ruiz_budget is None:
        ns.ruiz_budget = ["50:0.01"]
    if any(n < 1 for n in ns.self_lengths):
        parser.error(f"--self-lengths must be iterations >= 1, got {ns.self_lengths}")
    own = {f"self{n}" for n in ns.self_lengths}
    try:
        for spec in ns.ruiz_budget:
            pgd_budget(spec, "--ruiz-budget")
        for spec in ns.defence:
            name, _, settings = parse_variant(spec, "--defence")
            unknown = [label for label in settings.get("surrogates", ()) if label not in own]
            if unknown:
                raise ValueError(f"--defence {name}: surrogates must be labels self<N> of --self-lengths "
                                 f"({', '.join(sorted(own)) or 'none given'}), got {', '.join(unknown)}.")
    except ValueError as err:
        parser.error(str(err))
    run(ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
