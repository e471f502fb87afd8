"""Scale-out timings: protecting with the PG vs Ruiz PGD-10, and the training loops' iterations per second,
fp32 vs bf16, one process vs several (``torchrun``). Writes ``scale-<device>.{json,md,png}``.

Run it on an otherwise idle machine (each measurement runs in a fresh process; several-process runs use
``torchrun --standalone`` with the cores split between the processes)::

    python benchmarks/scale.py --device cpu                # 2-core CPU: benchmarks/results/scale-cpu.*
    python benchmarks/scale.py --device gpu                # one GPU: benchmarks/results/scale-<gpu name>.*
    python benchmarks/scale.py --device cpu --quick --output-dir /tmp/scale   # tiny settings, a minute

What is timed:

- ``generate``: ``InitiativeDefense.generate`` (one PG forward per batch; the paper's PG, 5 levels, width 64)
  on ``batch`` random images, images per second after a warm-up round. Its cost does not depend on the PG's
  weights, so an untrained PG is timed.
- ``ruiz_pgd``: ``RuizDisruption(method="pgd")``, 10 steps jointly over 5 target domains, through a ``res6``
  StarGAN of width 64: the per-image baseline.
- ``train_stargan``, ``train_pix2pix``, ``fit_attribute`` (Algorithm 1, alternating, no warm start),
  ``fit_reenactment``: iterations per second between the callback of the last warm-up iteration and that of the
  second-to-last iteration (setup, data and the final evaluation excluded); ``batch_size`` is the global batch
  of all processes together.
- ``bf16_quality``: whether bf16 training is numerically safe, against the seed spread (:func:`bf16_quality`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
import torch

SCRIPT = os.path.abspath(__file__)

# Per device: image sizes and batches of the protection timings, the training loops' image size, network width,
# iterations (with warm-up), world sizes and precisions. The GPU settings are the paper's scale (128 px,
# 64-channel networks); the CPU ones train at the cpu profile's 32 px and width 16 so that the loops finish.
SETTINGS: dict[str, dict[str, Any]] = {
    "gpu": dict(gen_sizes=(128, 256), gen_batch=64, gen_rounds=5, ruiz_sizes=(128, 256), ruiz_batch=64,
                ruiz_rounds=2, layouts=(False, True), train_size=128, train_width=64, train_iterations=60,
                warmup=10, world_sizes=(1,), precisions=("fp32", "bf16"), profile="paper", quality_iterations=300),
    "cpu": dict(gen_sizes=(128, 256), gen_batch=64, gen_rounds=2, ruiz_sizes=(128,), ruiz_batch=2, ruiz_rounds=1,
                layouts=(False,), train_size=32, train_width=16, train_iterations=30, warmup=5, world_sizes=(1, 2),
                precisions=("fp32", "bf16"), profile="cpu", quality_iterations=1000),
    "quick": dict(gen_sizes=(16, 32), gen_batch=4, gen_rounds=2, ruiz_sizes=(16,), ruiz_batch=2, ruiz_rounds=1,
                  layouts=(False, True), train_size=16, train_width=4, train_iterations=4, warmup=2, world_sizes=(1, 2),
                  precisions=("fp32", "bf16"), profile="tiny", quality_iterations=4),
}
TRAINING = ("train_stargan", "train_pix2pix", "fit_attribute", "fit_reenactment")
TRAIN_BATCH = {"train_stargan": 16, "train_pix2pix": 4, "fit_attribute": 16, "fit_reenactment": 4}
DOMAINS = 5


def _device_type(device: str) -> str:
    return "gpu" if device == "gpu" else "cpu"


def _sync(device_type: str) -> None:
    if device_type == "gpu" and torch.cuda.is_available():
        torch.cuda.synchronize()


def _translator(size: int, width: int, device_type: str, c_dim: int = DOMAINS, arch: str = "res6"):  # noqa: ANN202
    from art_initiative.estimators import PyTorchImageTranslator

    return PyTorchImageTranslator.from_architecture(arch, size, width, c_dim, device_type, seed=0)


def time_generate(size: int, batch: int, rounds: int, precision: str, channels_last: bool, device_type: str,
                  pg_width: int = 64, pg_levels: int = 5) -> float:
    """Images per second of ``InitiativeDefense.generate`` (the paper's PG) on ``batch`` images."""
    from art_initiative.attacks import InitiativeDefense

    defence = InitiativeDefense(_translator(size, 8, device_type), profile="paper", batch_size=batch, verbose=False,
                                precision=precision, channels_last=channels_last, pg_width=pg_width,
                                pg_levels=pg_levels)
    defence._adopt(defence.config, defence.pg.state_dict())  # an untrained PG costs what a trained one does
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (batch, 3, size, size)).astype(np.float32)
    defence.generate(x)  # warm-up (kernel selection, allocations)
    _sync(device_type)
    t0 = time.perf_counter()
    for _ in range(rounds):
        out = defence.generate(x)
    _sync(device_type)
    assert np.abs(out - x).max() <= defence.eps + 1e-6
    return rounds * batch / (time.perf_counter() - t0)


def time_ruiz(size: int, batch: int, rounds: int, device_type: str, width: int = 64) -> float:
    """Images per second of Ruiz et al.'s PGD-10, jointly over 5 domains, through a ``res6`` StarGAN."""
    from art_initiative.attacks import RuizDisruption

    attack = RuizDisruption(_translator(size, width, device_type), method="pgd", eps=0.05, eps_step=0.01,
                            max_iter=10, class_mode="joint", batch_size=batch, verbose=False)
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (batch, 3, size, size)).astype(np.float32)
    domains = [np.eye(DOMAINS, dtype=np.float32)[k] for k in range(DOMAINS)]
    attack.generate(x[:1], conditions=domains)  # warm-up
    _sync(device_type)
    t0 = time.perf_counter()
    for _ in range(rounds):
        attack.generate(x, conditions=domains)
    _sync(device_type)
    return rounds * batch / (time.perf_counter() - t0)


def time_training(what: str, size: int, width: int, iterations: int, warmup: int, precision: str,
                  device_type: str, profile: str) -> float:
    """Iterations per second of one training loop (see the module docstring); under torchrun, every rank runs
    this and the result is rank 0's."""
    from art_initiative.attacks import InitiativeDefense, InitiativeDefenseReenactment
    from art_initiative.data import SyntheticFaces, SyntheticTalkingFace
    from art_initiative.training import distributed, train_pix2pix, train_stargan

    distributed.init_from_env(device_type)
    stamps: dict[int, float] = {}
    last = iterations - 2

    def stamp(it: int, _losses: dict[str, float]) -> None:
        if it in (warmup - 1, last):
            _sync(device_type)
            stamps[it] = time.perf_counter()

    batch = TRAIN_BATCH[what]
    common = dict(device_type=device_type, verbose=False, callback=stamp, precision=precision)
    if what == "train_stargan":
        x, y = SyntheticFaces(256, size, seed=0).arrays()
        train_stargan(x, y, width=width, disc_width=width, iterations=iterations, batch_size=batch, **common)
    elif what == "train_pix2pix":
        frames, sketches, _ = SyntheticTalkingFace(64, size, seed=0).arrays()
        train_pix2pix(sketches, frames, arch="unet256", width=width, iterations=iterations, batch_size=batch,
                      **common)
    else:
        settings = dict(iterations=iterations, batch_size=batch, sm_pretrain_iterations=0, sm_init="fresh",
                        eval_every=10 * iterations, precision=precision)
        if what == "fit_attribute":
            x, y = SyntheticFaces(256, size, seed=0).arrays()
            defence = InitiativeDefense(_translator(size, width, device_type), profile=profile, verbose=False,
                                        **settings)
            defence.fit(x, y, callback=stamp)
        else:
            frames, sketches, landmarks = SyntheticTalkingFace(64, size, seed=0).arrays()
            defence = InitiativeDefenseReenactment(_translator(size, width, device_type, 0, "unet256"),
                                                   profile=profile, verbose=False, **settings)
            defence.fit(frames, sketches, landmarks, callback=stamp)
    distributed.barrier()
    return (last - (warmup - 1)) / (stamps[last] - stamps[warmup - 1])


def bf16_quality(size: int, width: int, iterations: int, device_type: str) -> dict[str, float]:
    """Whether bf16 training is numerically safe, against the seed spread: three StarGANs trained alike (fp32
    seed 0, fp32 seed 1, bf16 seed 0) edit 64 held-out faces into each single-attribute domain; the MSE between
    the bf16 model's edits and the fp32 model's is compared with the MSE between the two fp32 seeds' edits."""
    from art_initiative.data import SyntheticFaces
    from art_initiative.training import train_stargan

    x, y = SyntheticFaces(1000, size, seed=0).arrays()
    held, _ = SyntheticFaces(64, size, seed=0, offset=1_000_000).arrays()
    common = dict(width=width, disc_width=width, iterations=iterations, batch_size=16, device_type=device_type,
                  verbose=False)
    models = {"fp32": train_stargan(x, y, seed=0, **common), "fp32_seed1": train_stargan(x, y, seed=1, **common),
              "bf16": train_stargan(x, y, seed=0, precision="bf16", **common)}
    edits = {k: np.concatenate([m.predict(held, conditions=np.eye(DOMAINS, dtype=np.float32)[d])
                                for d in range(DOMAINS)]) for k, m in models.items()}
    mse = {k: float(((edits[k] - edits["fp32"]) ** 2).mean()) for k in ("fp32_seed1", "bf16")}
    change = float(((edits["fp32"] - np.concatenate([held] * DOMAINS)) ** 2).mean())
    return {"mse_bf16_vs_fp32": mse["bf16"], "mse_seed1_vs_seed0": mse["fp32_seed1"], "mse_fp32_edit": change}


def _launch(args: list[str], world_size: int, threads: int) -> dict[str, Any]:
    """Run this script's ``--measure`` mode in a fresh process (``torchrun`` for several) and read its result."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        env.pop("WORLD_SIZE", None)
        if world_size > 1:
            torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or "torchrun"
            # --log-dir: torchrun's per-run logs go in this temporary folder, not a torchelastic_* folder left in /tmp
            cmd = [torchrun, "--standalone", f"--nproc_per_node={world_size}", "--log-dir", os.path.join(tmp, "logs"),
                   SCRIPT]
        else:
            cmd = [sys.executable, SCRIPT]
        cmd += [*args, "--threads", str(threads), "--result", out]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        with open(out, encoding="utf-8") as fh:
            result = json.load(fh)
    shown = [f"torchrun --standalone --nproc_per_node={world_size}" if world_size > 1 else "python",
             "benchmarks/scale.py", *args]
    result["command"] = f"OMP_NUM_THREADS={threads} " + " ".join(shown)
    return result


def _measure(ns: argparse.Namespace) -> None:
    """One measurement (``--measure``), written to ``--result`` by rank 0."""
    torch.set_num_threads(ns.threads)
    from art_initiative.training import distributed

    device_type = _device_type(ns.device)
    if ns.measure == "generate":
        value = time_generate(ns.size, ns.batch, ns.rounds, ns.precision, ns.channels_last, device_type)
    elif ns.measure == "ruiz_pgd":
        value = time_ruiz(ns.size, ns.batch, ns.rounds, device_type)
    elif ns.measure == "bf16_quality":
        value = bf16_quality(ns.size, ns.width, ns.iterations, device_type)
    else:
        value = time_training(ns.measure, ns.size, ns.width, ns.iterations, ns.warmup, ns.precision, device_type,
                              ns.profile)
    if distributed.is_main():
        with open(ns.result, "w", encoding="utf-8") as fh:
            json.dump({"value": value}, fh)


def device_name(device: str) -> str:
    """``cpu``, or the GPU's name as a file-name slug (``nvidia-h200``)."""
    if device != "gpu" or not torch.cuda.is_available():
        return "cpu"
    return "-".join(torch.cuda.get_device_name().lower().replace("nvidia", "nvidia ").split())


def run(device: str, quick: bool, output_dir: str, only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every measurement of ``device``'s settings, one fresh process each; returns the records."""
    s = SETTINGS["quick" if quick else device]
    cores = os.cpu_count() or 1
    records: list[dict[str, Any]] = []
    existing = os.path.join(output_dir, f"scale-{device_name(device)}{'-quick' if quick else ''}.json")
    if only and os.path.isfile(existing):  # --only re-measures these and keeps the file's other records
        with open(existing, encoding="utf-8") as fh:
            records = [r for r in json.load(fh)["records"] if r["what"] not in only]
    base = ["--device", device] + (["--quick"] if quick else [])

    def add(what: str, args: list[str], world: int, **fields: Any) -> None:
        if only and what not in only:
            return
        threads = max(1, cores // world) if device == "cpu" else 1 if world > 1 else max(1, min(cores, 8))
        t0 = time.perf_counter()
        result = _launch(["--measure", what, *base, *args], world, threads)
        value = result["value"]
        if isinstance(value, dict):  # a quality check: its measurements
            record = {"what": what, **fields, "world_size": world, **{k: round(v, 6) for k, v in value.items()},
                      "command": result["command"]}
            shown = json.dumps({k: round(v, 6) for k, v in value.items()})
        else:
            key = "iterations_per_second" if what in TRAINING else "images_per_second"
            record = {"what": what, **fields, "world_size": world, "threads_per_process": threads,
                      key: round(value, 4), "command": result["command"]}
            shown = f"{value:.3f} {key.replace('_', ' ')}"
        records.append(record)
        print(f"{what:16s} {json.dumps(fields)} world {world}: {shown} ({time.perf_counter() - t0:.0f} s)",
              flush=True)
        write(records, device, quick, output_dir)

    for size in s["gen_sizes"]:
        for precision in s["precisions"]:
            for channels_last in s["layouts"]:
                add("generate", ["--size", str(size), "--batch", str(s["gen_batch"]), "--rounds", str(s["gen_rounds"]),
                                 "--precision", precision] + (["--channels-last"] if channels_last else []), 1,
                    image_size=size, precision=precision, channels_last=channels_last, batch_size=s["gen_batch"])
    for size in s["ruiz_sizes"]:
        add("ruiz_pgd", ["--size", str(size), "--batch", str(s["ruiz_batch"]), "--rounds", str(s["ruiz_rounds"])], 1,
            image_size=size, precision="fp32", channels_last=False, batch_size=s["ruiz_batch"])
    for what in TRAINING:
        for precision in s["precisions"]:
            for world in s["world_sizes"]:
                add(what, ["--size", str(s["train_size"]), "--width", str(s["train_width"]), "--iterations",
                           str(s["train_iterations"]), "--warmup", str(s["warmup"]), "--precision", precision,
                           "--profile", s["profile"]], world,
                    image_size=s["train_size"], width=s["train_width"], precision=precision, channels_last=False,
                    batch_size=TRAIN_BATCH[what])
    add("bf16_quality", ["--size", str(s["train_size"]), "--width", str(s["train_width"]), "--iterations",
                         str(s["quality_iterations"])], 1,
        image_size=s["train_size"], width=s["train_width"], iterations=s["quality_iterations"])
    return records


def write(records: list[dict[str, Any]], device: str, quick: bool, output_dir: str) -> str:
    """``scale-<device>.json`` and ``.md`` (and ``.png`` once there is something to plot); returns the stem."""
    name = device_name(device) + ("-quick" if quick else "")
    stem = os.path.join(output_dir, f"scale-{name}")
    os.makedirs(output_dir, exist_ok=True)
    meta = {"device": name, "gpu": torch.cuda.get_device_name() if name != "cpu" and not quick and
            torch.cuda.is_available() else None, "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"), "settings": SETTINGS["quick" if quick else device],
            "command": "python benchmarks/scale.py --device " + device + (" --quick" if quick else "")}
    tmp = stem + ".json.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"meta": meta, "records": records}, fh, indent=1)
    os.replace(tmp, stem + ".json")
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(markdown(meta, records))
    plot(records, stem + ".png", name)
    return stem


def markdown(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """Two tables: protection throughput, training speed."""
    lines = [f"# Scale-out timings on {meta['gpu'] or meta['device']} ({meta['cores']} cores, torch {meta['torch']},"
             f" {meta['date']})", "", f"`{meta['command']}`", "", "## Protecting images", "",
             "| method | px | precision | channels_last | batch | images/s |", "|---|---|---|---|---|---|"]
    for r in records:
        if r["what"] in ("generate", "ruiz_pgd"):
            label = "PG generate" if r["what"] == "generate" else "Ruiz PGD-10 (5 domains)"
            lines.append(f"| {label} | {r['image_size']} | {r['precision']} | {r['channels_last']} | "
                         f"{r['batch_size']} | {r['images_per_second']:.3g} |")
    lines += ["", "## Training loops", "",
              "| loop | px | width | precision | processes | threads each | global batch | it/s |",
              "|---|---|---|---|---|---|---|---|"]
    for r in records:
        if r["what"] in TRAINING:
            lines.append(f"| {r['what']} | {r['image_size']} | {r['width']} | {r['precision']} | {r['world_size']} | "
                         f"{r['threads_per_process']} | {r['batch_size']} | {r['iterations_per_second']:.3g} |")
    quality = [r for r in records if r["what"] == "bf16_quality"]
    if quality:
        lines += ["", "## Is bf16 training safe? (StarGAN recipe, edits of 64 held-out faces x 5 domains)", "",
                  "| px | width | iterations | MSE bf16 vs fp32 | MSE fp32 seed 1 vs seed 0 | MSE fp32 edit vs input |",
                  "|---|---|---|---|---|---|"]
        for r in quality:
            lines.append(f"| {r['image_size']} | {r['width']} | {r['iterations']} | {r['mse_bf16_vs_fp32']:.4g} | "
                         f"{r['mse_seed1_vs_seed0']:.4g} | {r['mse_fp32_edit']:.4g} |")
    return "\n".join(lines) + "\n"


def plot(records: list[dict[str, Any]], path: str, name: str) -> None:
    """Bar charts (log scale): images per second per protection setting, iterations per second per loop."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    protect = [r for r in records if r["what"] in ("generate", "ruiz_pgd")]
    train = [r for r in records if r["what"] in TRAINING]
    if not protect and not train:
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, rows, key, title in ((axes[0], protect, "images_per_second", "protecting (images/s)"),
                                 (axes[1], train, "iterations_per_second", "training (iterations/s)")):
        labels = [("PG" if r["what"] == "generate" else "Ruiz" if r["what"] == "ruiz_pgd" else r["what"])
                  + f" {r['image_size']}px {r['precision']}" + (" CL" if r.get("channels_last") else "")
                  + (f" x{r['world_size']}" if r["what"] in TRAINING else "") for r in rows]
        ax.barh(range(len(rows)), [r[key] for r in rows],
                color=["tab:orange" if r["what"] == "ruiz_pgd" else "tab:blue" for r in rows])
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.set_xscale("log")
        ax.set_title(title)
        ax.invert_yaxis()
    fig.suptitle(f"art_initiative scale-out timings: {name}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--quick", action="store_true", help="tiny settings (checks the script in a minute)")
    p.add_argument("--output-dir", default=os.path.join(os.path.dirname(SCRIPT), "results"))
    p.add_argument("--only", nargs="*", default=[], choices=("generate", "ruiz_pgd", *TRAINING, "bf16_quality"),
                   help="measure only these (an existing results file keeps its other records)")
    # one measurement, in a process of its own (used by the script itself)
    p.add_argument("--measure", choices=("generate", "ruiz_pgd", *TRAINING, "bf16_quality"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    for name, kind in (("--size", int), ("--batch", int), ("--rounds", int), ("--width", int),
                       ("--iterations", int), ("--warmup", int), ("--threads", int)):
        p.add_argument(name, type=kind, default=1, help=argparse.SUPPRESS)
    p.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    p.add_argument("--profile", default="cpu", help=argparse.SUPPRESS)
    p.add_argument("--channels-last", action="store_true", help=argparse.SUPPRESS)
    ns = p.parse_args(argv)
    if ns.measure:
        _measure(ns)
        return 0
    records = run(ns.device, ns.quick, ns.output_dir, tuple(ns.only))
    stem = write(records, ns.device, ns.quick, ns.output_dir)
    print(f"{len(records)} records in {stem}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
