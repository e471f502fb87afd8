"""Issues #11 and #12 at a GPU's scale: one prepared command for a lent GPU machine (the ``device`` tool).

On the synthetic faces at ``--image-size`` (64 px by default) with StarGAN's widths (64), it trains concurrently on one
GPU, one process each, the defender's surrogate (``res6`` on the defender's faces: the baseline's surrogate), the
forger's Table 1 targets (``res6``, ``res9``, ``cnet``, ``unet128``; the forger's own faces and seed) for each of
``--domains`` (``SD``: the defender's attributes, ``DD``: two it never sees), every one by the forger's recipe
(StarGAN's: no identity term, n_critic 5, lr 1e-4), in rounds of ``--step`` iterations, and the learned defences of
``--defences`` (``initiative`` and the paper's two ablations by default; ``--profile``'s settings with ``--set``'s) in
rounds of ``--defence-step`` alternating iterations, until ``--train-seconds`` have passed. The defences follow the
paper's protocol: their SM starts from fresh weights of the surrogate's architecture and is trained alternately with
PG from the start, so they need nothing the other jobs train. Each round's checkpoint is a cached run of that length
(a longer run continues the last, exactly as one uninterrupted run would), so then, with nothing trained again:

1. the calibration (the harness's ``--task calibration``: white-box Ruiz PGD-10 at eps 0.05 on each target itself,
   sign noise of the same size, the independent classifier's translation check) at every round that all targets
   completed (up to ``--curve-points`` of them), ``SD`` targets: issue #11's curve of DSR against iterations;
2. the attribute-editing harness at the last round every model completed, in every domain setting, with ``--methods``
   (default: Ruiz PGD computed on the surrogate and scored on every target, uniform and sign noise, white-box PGD on
   each target, the clean forgery), then with each learned defence at its last round (``initiative`` also saturated,
   ``initiative_sign``): Table 1's rows at this scale, issue #12's question;
3. the same question against training length, with why: at each of those rounds that the surrogate completed too,
   ``strength_transfer.py`` on ``--transfer-faces`` fresh faces with the surrogate as the public model and every
   ``SD`` target as a forger (Ruiz PGD-10 on the surrogate scored on each, white-box PGD on each, sign noise, and
   each target's clean distance: how far its edits are from the surrogate's), joined by ``transfer_length.py`` into
   one curve. Independently trained 32 px targets stay as far apart in their edits at every length measured on a
   CPU, and nothing transfers between them (docs/results.rst); whether larger, longer-trained ones converge is the
   question.

With ``--data franck`` the same runs on the real frames of the franck video (the harness's split, labels from the
landmarks; ``SD``: Mouth_Open, Smiling, Head_Left, ``DD``: Eyes_Closed, Head_Right), without the transfer curve (it
needs fresh faces). The lent machine has neither OpenCV nor dlib, so the crops travel as the harness's cache of them
(8-bit: 35 MiB at 64 px, so with the wheels and the video within the 64 MiB a run may carry; 128 px is not). Here,
after ``make franck``::

    python benchmarks/gpu_testbed.py --data franck --image-size 64 --cache-dir .franck-cache --prepare

then carry ``.whl``, ``data/franck`` (the video: the harness checks that it is there, and the cache is keyed by its
bytes) and ``.franck-cache`` (ignored by git, as ``data`` is), and run
``bash benchmarks/device_testbed.sh --data franck --cache-dir .franck-cache``. The calibration's landmark check
(dlib on the edits) is left out there, with a warning; its other measurements run.

The results are written under ``--output`` as ``calibration-<data>-<device>-<size>.{json,md,png}`` and
``attribute_editing-<data>-<device>-<size>.{json,md,png}``,
``transfer_length-synthetic-<device>-<size>.{json,md,png}`` and its
``strength_transfer-synthetic-<device>-<size>-len<N>.{json,md,png}`` (``<device>`` as ``scale.py`` names it), with a
log.

The GPU machine has PyTorch but neither this package's other needs nor a network. Beforehand, here (PyPI works):

    echo /.whl/ >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \\
        -d .whl adversarial-robustness-toolbox==1.20.1 kornia==0.9.0 kornia_rs==0.2.0 torchattacks==3.5.1

then, with ``.whl`` carried (not yet timed on a GPU with the defences and ``DD`` targets; about 7 minutes without them,
``--domains SD --defences``):

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \\
        .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 && \\
        python3 benchmarks/gpu_testbed.py --output $OUT 2>&1 | tee $OUT/gpu_testbed-log.txt

LPIPS and the VGG distance need ImageNet trunk weights that only ``make setup`` installs, so this script leaves them
out (``perceptual=False``) unless ``--perceptual`` is given. On a CPU the same code runs at tiny settings (the test
``tests/benchmark/test_gpu_testbed_script.py``)."""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import glob
import logging
import multiprocessing
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from art_initiative.attacks.initiative.config import parse_settings
from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, attribute_data
from art_initiative.benchmark.common import INITIATIVE_VARIANTS
from art_initiative.benchmark.harness import attribute_config, results_stem, run_benchmark
from art_initiative.benchmark.protections import defence_config, trained_defence
from art_initiative.benchmark.testbed import defender_surrogate_path, forger_target_path, train_target
from art_initiative.estimators import PyTorchImageTranslator

SCRIPT = os.path.abspath(__file__)
DEFAULT_TARGETS = ("res6", "res9", "cnet", "unet128")
DEFAULT_METHODS = ("ruiz_pgd", "random_noise", "whitebox_pgd", "sign_noise", "none")
DEFAULT_DEFENCES = ("initiative", "initiative_no_ats", "initiative_no_tde")
DEFENCES = tuple(INITIATIVE_VARIANTS["attribute_editing"])


def device_slug(device_type: str) -> str:
    """``cpu``, or the GPU's name as a file-name slug (``nvidia-h200``)."""
    if device_type != "gpu" or not torch.cuda.is_available():
        return "cpu"
    return "-".join(torch.cuda.get_device_name().lower().replace("nvidia", "nvidia ").split())


def rounds(lengths: list[int], train: Callable[[int], Any], deadline: float, name: str,
           first_has_warm_up: bool = False) -> dict[str, Any]:
    """``train(n)`` for each ``n`` of ``lengths`` (increasing; each run continues the last) until the next would end
    after ``deadline`` (a ``time.time()``), judged by the last round's seconds per added iteration.

    :param first_has_warm_up: the first round also pays for work the later ones do not (a defence's SM warm-up),
        so its pace would overstate theirs: after it, the second round runs whenever the deadline has not passed.
    :return: the lengths completed and their seconds, and the error of a round that failed (the rounds before it
        stay usable)."""
    done: list[int] = []
    seconds: list[float] = []
    for n in lengths:
        if done and time.time() > deadline:
            break
        if done and not (first_has_warm_up and len(done) == 1) and time.time() + 1.1 * seconds[-1] / (
                done[-1] - (done[-2] if len(done) > 1 else 0)) * (n - done[-1]) > deadline:
            break
        start = time.time()
        try:
            train(n)
        except Exception as err:  # noqa: BLE001 - one job's failure (memory...) must not cost the others' results
            print(f"{name}: round to {n} iterations failed: {err!r}", flush=True)
            return {"name": name, "iterations": done, "round_seconds": seconds, "error": repr(err)}
        seconds.append(time.time() - start)
        done.append(n)
        print(f"{name}: {n} iterations ({seconds[-1]:.0f} s for the round)", flush=True)
    return {"name": name, "iterations": done, "round_seconds": seconds}


def train_rounds(job: dict[str, Any]) -> dict[str, Any]:
    """One model's training, in rounds of ``job["step"]`` iterations until the deadline (a time.time() value) would
    be passed by another round of the last one's length, or ``job["max_iterations"]`` is reached; every round is a
    cached :func:`~art_initiative.benchmark.testbed.train_target` run of that length. Runs in its own process.

    :return: the job's name and the iteration counts it completed, with their wall times and, where a round
        failed, its error (the rounds before it stay usable).
    """
    torch.set_num_threads(job["threads"])
    x = np.load(job["x"])
    labels = np.load(job["labels"])
    cfg = AttributeBenchmarkConfig(**job["cfg"])
    return rounds(list(range(job["step"], job["max_iterations"] + 1, job["step"])),
                  lambda n: train_target(x, labels, job["arch"], job["seed"], cfg, job["device_type"],
                                         job["cache_dir"], iterations=n),
                  job["deadline"], job["name"])


def job_name(arch: str, domains: str) -> str:
    """A target's job name: its architecture, with ``-DD`` for the different domains."""
    return arch if domains == "SD" else f"{arch}-{domains}"


def call(job: tuple[Callable[[dict[str, Any]], dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """``job[0](job[1])``: one worker process's job (a target's or a defence's rounds)."""
    return job[0](job[1])


def variant_settings(variant: str, settings: dict[str, Any], no_ats_pretrain: int) -> dict[str, Any]:
    """The defence settings of the learned ``variant`` in this script: ``settings`` (``--set``), and for the no-ATS
    ablation an SM warm-up of ``no_ats_pretrain`` iterations unless ``settings`` give one (the harness would make
    it as long as the PG's training, which changes with every round and would start each round afresh)."""
    if INITIATIVE_VARIANTS["attribute_editing"][variant].get("alternating", True) or \
            settings.get("sm_pretrain_iterations"):
        return dict(settings)
    return {**settings, "sm_pretrain_iterations": no_ats_pretrain}


def defence_rounds(job: dict[str, Any]) -> dict[str, Any]:
    """One learned defence variant (``job["name"]``, a harness method) trained in rounds of ``job["step"]``
    alternating iterations, each resuming the last, until the deadline; runs in its own process, from the start,
    beside the surrogate and the targets. In the paper's protocol the defence's SM starts from fresh weights of the
    surrogate's architecture, so an untrained model of that architecture is its template, and the harness's cache
    finds these defences again when it scores them with the trained surrogate (:func:`~art_initiative.benchmark.
    common.start_digest`)."""
    torch.set_num_threads(job["threads"])
    x = np.load(job["x"])
    labels = np.load(job["labels"])
    cfg = AttributeBenchmarkConfig(**job["cfg"])
    template = PyTorchImageTranslator.from_architecture(cfg.surrogate_arch, cfg.image_size, cfg.width,
                                                        labels.shape[1], job["device_type"], seed=0)

    def config(n: int) -> AttributeBenchmarkConfig:
        return replace(cfg, defence={**job["settings"], "iterations": n})

    warm_up = defence_config(job["name"], config(job["step"])).sm_pretrain_iterations
    return rounds(list(range(job["step"], job["max_iterations"] + 1, job["step"])),
                  lambda n: trained_defence(job["name"], x, labels, tuple(job["attributes"]), template, config(n),
                                            job["cache_dir"], False),
                  job["deadline"], job["name"], first_has_warm_up=warm_up > 0)


def curve(counts: list[int], points: int) -> list[int]:
    """At most ``points`` of ``counts`` (sorted), spread evenly and always with the largest."""
    counts = sorted(counts)
    if len(counts) <= points:
        return counts
    picks = {counts[round(i * (len(counts) - 1) / (points - 1))] for i in range(points)} if points > 1 else set()
    return sorted(picks | {counts[-1]})


def rename_results(stem: str, new_stem: str) -> list[str]:
    """Move a results file's ``.json`` / ``.md`` / ``.png`` to ``new_stem`` (the Markdown's image link follows)."""
    moved = []
    for ext in (".json", ".md", ".png", "-sweep.png"):
        if not os.path.exists(stem + ext):
            continue
        if ext == ".md":
            with open(stem + ext, encoding="utf-8") as fh:
                text = fh.read().replace(f"({os.path.basename(stem)}", f"({os.path.basename(new_stem)}")
            with open(new_stem + ext, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.remove(stem + ext)
        else:
            os.replace(stem + ext, new_stem + ext)
        moved.append(new_stem + ext)
    return moved


def run(ns: argparse.Namespace) -> dict[str, Any]:
    """Everything the module docstring says; returns what was trained and written."""
    t0 = time.time()
    command = "python benchmarks/gpu_testbed.py " + shlex.join(sys.argv[1:])
    defence_settings = parse_settings(ns.set or [])
    if "iterations" in defence_settings:
        raise ValueError("--set iterations=N: the defences train in rounds of --defence-step iterations until the "
                         "time is up; set --defence-max-iterations instead.")
    sizes = {"synthetic": {"n_train": 4000, "n_test": 100}}.get(ns.data, {})  # franck: the harness's splits
    sizes |= {k: v for k, v in (("n_train", ns.n_train), ("n_test", ns.n_test)) if v is not None}
    settings = dict(image_size=ns.image_size, width=ns.width, disc_width=ns.disc_width, **sizes,
                    targets=tuple(ns.targets), domains=("SD",), n_jobs=ns.n_jobs,
                    classifier_iterations=ns.classifier_iterations)
    cfg = attribute_config(ns.data, ns.profile, **settings, target_iterations=ns.step)
    cache_dir = ns.cache_dir or tempfile.mkdtemp(prefix="gpu_testbed_cache_")
    os.makedirs(cache_dir, exist_ok=True)
    os.makedirs(ns.output, exist_ok=True)
    split = attribute_data(ns.data, cfg, cache_dir=cache_dir)  # franck: the crops from the cache, or from the video
    if ns.prepare:
        crops = sorted(glob.glob(os.path.join(cache_dir, "video-*.npz")), key=os.path.getmtime)
        print(f"prepared: {crops[-1] if crops else 'nothing to cache'}"
              + (f" ({os.path.getsize(crops[-1]) / 2**20:.1f} MiB)" if crops else ""), flush=True)
        return {"trained": {}, "written": crops[-1:]}
    print(f"{'rendered' if ns.data == 'synthetic' else 'loaded'} {2 * cfg.n_train + cfg.n_test} {ns.data} faces at "
          f"{cfg.image_size} px in {time.time() - t0:.0f} s", flush=True)

    # 1. Every model concurrently, one process each, in rounds until the deadline.
    deadline = time.time() + ns.train_seconds
    cfg_fields = {k: getattr(cfg, k) for k in AttributeBenchmarkConfig.__dataclass_fields__}
    base = dict(cfg=cfg_fields, device_type=ns.device, cache_dir=cache_dir, step=ns.step,
                max_iterations=ns.max_iterations, deadline=deadline, threads=ns.threads)
    arrays = {"defender": (split.defender, "SD"), **{f"forger-{d}": (split.forger, d) for d in ns.domains}}
    with tempfile.TemporaryDirectory(prefix="gpu_testbed_data_") as scratch:  # the workers' copies of the splits
        paths = {}
        for name, ((x, labels), setting) in arrays.items():
            paths[name] = (os.path.join(scratch, f"{name}-x.npy"), os.path.join(scratch, f"{name}-labels.npy"))
            np.save(paths[name][0], x)
            np.save(paths[name][1], labels[:, split.columns(setting)])
        jobs = [(train_rounds, dict(base, name="surrogate", arch=cfg.surrogate_arch, seed=cfg.seed + 1,
                                    x=paths["defender"][0], labels=paths["defender"][1]))]
        jobs += [(train_rounds, dict(base, name=job_name(arch, d), arch=arch, seed=cfg.seed + 2,
                                     x=paths[f"forger-{d}"][0], labels=paths[f"forger-{d}"][1]))
                 for d in ns.domains for arch in cfg.targets]
        # the learned defences from the start, beside them (their SM starts from fresh weights: the paper's protocol)
        jobs += [(defence_rounds, dict(base, name=v, step=ns.defence_step, max_iterations=ns.defence_max_iterations,
                                       settings=variant_settings(v, defence_settings, ns.no_ats_pretrain),
                                       attributes=split.settings["SD"], x=paths["defender"][0],
                                       labels=paths["defender"][1])) for v in ns.defences]
        with futures.ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
            trained = {r["name"]: r for r in pool.map(call, jobs)}
    print(f"trained in {time.time() - t0:.0f} s: "
          + ", ".join(f"{k} {v['iterations'][-1] if v['iterations'] else 0}" for k, v in trained.items()), flush=True)

    # 2. The calibration curve at the rounds every target completed (a target that completed none, in either domain
    #    setting, is left out).
    names = {a: [job_name(a, d) for d in ns.domains] for a in cfg.targets}
    targets = tuple(a for a in cfg.targets if all(trained[n]["iterations"] for n in names[a]))
    if not targets:
        raise RuntimeError(f"no target completed a round: {trained}")
    settings["targets"] = targets
    common_targets = set.intersection(*(set(trained[n]["iterations"]) for a in targets for n in names[a]))
    slug = f"{device_slug(ns.device)}-{ns.image_size}"
    written: list[str] = []
    for n in curve(sorted(common_targets), ns.curve_points):
        run_benchmark("calibration", data=ns.data, profile=ns.profile, output=ns.output, device_type=ns.device,
                      cache_dir=cache_dir, command=command, verbose=ns.verbose, **settings, target_iterations=n)
    stem = results_stem(ns.output, "calibration", ns.data, ns.profile)
    written += rename_results(stem, results_stem(ns.output, "calibration", ns.data, slug))

    # 3. The transfer rows at the last round every model, the surrogate too, completed, in every domain setting;
    #    then each learned defence at its last round (read back from the cache: nothing is trained here).
    common = common_targets & set(trained["surrogate"]["iterations"])
    scored = dict(settings, domains=tuple(ns.domains))
    learned = [v for v in ns.defences if trained[v]["iterations"]]
    if common and (ns.methods or learned):
        for methods, defence in [(tuple(ns.methods), {})] * bool(ns.methods) + [
                ((v, "initiative_sign") if v == "initiative" else (v,),
                 {**variant_settings(v, defence_settings, ns.no_ats_pretrain),
                  "iterations": trained[v]["iterations"][-1]}) for v in learned]:
            run_benchmark("attribute_editing", data=ns.data, profile=ns.profile, output=ns.output,
                          device_type=ns.device, cache_dir=cache_dir, command=command, verbose=ns.verbose, **scored,
                          target_iterations=max(common), methods=methods, defence=defence, sweep=(),
                          perceptual=ns.perceptual)
        stem = results_stem(ns.output, "attribute_editing", ns.data, ns.profile)
        written += rename_results(stem, results_stem(ns.output, "attribute_editing", ns.data, slug))

    # 4. Transfer and clean distance against length, at the curve's rounds that the surrogate completed too
    #    (strength_transfer.py renders fresh synthetic faces: not for franck).
    lengths = curve(sorted(common_targets & set(trained["surrogate"]["iterations"])), ns.curve_points)
    if ns.transfer_faces and lengths and ns.data == "synthetic":
        written += transfer_curve(ns, split, cfg, targets, lengths, cache_dir, slug)
    print(f"done in {time.time() - t0:.0f} s; wrote " + ", ".join(os.path.basename(p) for p in written), flush=True)
    return {"trained": trained, "written": written}


def transfer_curve(ns: argparse.Namespace, split: Any, cfg: AttributeBenchmarkConfig, targets: tuple[str, ...],
                   lengths: list[int], cache_dir: str, slug: str) -> list[str]:
    """``strength_transfer.py`` at each of ``lengths`` (the surrogate as the public model, every target as a forger,
    all from the cache at that length) and ``transfer_length.py`` over them; returns the files written."""
    sys.path.insert(0, os.path.dirname(SCRIPT))
    from strength_transfer import main as strength_transfer_main
    from transfer_length import main as transfer_length_main

    written, runs = [], []
    for n in lengths:  # the harness's own files of each model at that length, as its calibration reads them
        at = replace(cfg, target_iterations=n)
        public = defender_surrogate_path(split, at, cache_dir)
        forgers = [arg for a in targets
                   for arg in ("--forger", f"{a}={forger_target_path(split, at, a, 'SD', cache_dir)}")]
        stem = os.path.join(ns.output, f"strength_transfer-synthetic-{slug}-len{n}")
        strength_transfer_main(["--public", public, *forgers, "--stem", stem, "--n-faces", str(ns.transfer_faces),
                                "--device", ns.device, "--note",
                                f"The test bed's surrogate (res6, the defender's faces) as the public model and the "
                                f"forger's targets as forgers, every one trained {n} iterations from random weights "
                                f"(gpu_testbed.py)."])
        written += [stem + ext for ext in (".json", ".md", ".png")]
        runs.append(f"{n}={stem}.json")
    stem = os.path.join(ns.output, f"transfer_length-synthetic-{slug}")
    transfer_length_main(["--stem", stem, *runs])
    return written + [stem + ext for ext in (".json", ".md", ".png")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    parser.add_argument("--data", choices=("synthetic", "franck"), default="synthetic",
                        help="franck: the real frames, read from the crops' cache in --cache-dir (see above)")
    parser.add_argument("--profile", default="paper", help="the harness's profile the settings below replace")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64, help="the targets' and the surrogate's generator width")
    parser.add_argument("--disc-width", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=None, help="faces in each of the defender's and forger's "
                        "splits (default: 4000 synthetic faces, the harness's franck split)")
    parser.add_argument("--n-test", type=int, default=None, help="test faces (default: 100, the harness's franck "
                        "split)")
    parser.add_argument("--prepare", action="store_true", help="only load the data (franck: extract the crops into "
                        "--cache-dir, where OpenCV and dlib are) and stop")
    parser.add_argument("--targets", nargs="+", default=list(DEFAULT_TARGETS))
    parser.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS),
                        help="the attribute-editing harness's methods at the last round (none: skip it)")
    parser.add_argument("--domains", nargs="+", choices=("SD", "DD"), default=["SD", "DD"],
                        help="the targets' domain settings (DD: attributes the defender never sees)")
    parser.add_argument("--defences", nargs="*", choices=DEFENCES, default=list(DEFAULT_DEFENCES),
                        help="learned defence variants trained beside the models, scored at their last round "
                        "(none: skip them)")
    parser.add_argument("--defence-step", type=int, default=250, help="alternating iterations per defence round")
    parser.add_argument("--defence-max-iterations", type=int, default=200_000)
    parser.add_argument("--no-ats-pretrain", type=int, default=2000, help="the no-ATS ablation's SM iterations "
                        "before its frozen-SM PG training (unless --set sm_pretrain_iterations=N)")
    parser.add_argument("--set", nargs="*", metavar="KEY=VALUE", help="defence settings replacing the profile's, "
                        "for every variant (not iterations)")
    parser.add_argument("--step", type=int, default=1000, help="iterations per training round")
    parser.add_argument("--max-iterations", type=int, default=50_000)
    parser.add_argument("--train-seconds", type=float, default=270.0, help="training stops after the round that "
                        "would pass this")
    parser.add_argument("--curve-points", type=int, default=4)
    parser.add_argument("--transfer-faces", type=int, default=100, help="fresh faces of the transfer curve against "
                        "length (0: skip it)")
    parser.add_argument("--classifier-iterations", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of each training process")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1, help="processes rendering the faces")
    parser.add_argument("--perceptual", action="store_true", help="also LPIPS and the VGG distance (needs the "
                        "ImageNet trunk weights of `make setup`)")
    parser.add_argument("--cache-dir", default=None, help="default: a fresh temporary folder")
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--quiet", dest="verbose", action="store_false")
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run(ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
