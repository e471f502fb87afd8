"""Iterations per second of the forger's StarGAN recipe (``train_stargan``), measured after a warm-up.

Times the training loop itself (setup, data and model building excluded): the wall time between the callback of
iteration ``warmup`` and that of the last iteration. Run it on an otherwise idle machine::

    python benchmarks/train_speed.py --output benchmarks/results/train_speed-cpu.json

A results file that exists is extended (a run with another ``--label``, e.g. the code before a change, adds its
records beside the others).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch

from art_initiative.data import SyntheticFaces
from art_initiative.data.synthetic import PAPER_ATTRIBUTES
from art_initiative.training import train_stargan

# (name, settings): the harness's cpu recipes at 32 px (the hardened one of the first benchmarks, StarGAN's own).
RECIPES = {
    "hardened (n_critic 2, D width 16, identity term)": dict(n_critic=2, g_lr=2e-4, d_lr=2e-4, lambda_id=10.0,
                                                             disc_width=16),
    "stargan (n_critic 5, D width 64)": dict(n_critic=5, g_lr=1e-4, d_lr=1e-4, lambda_id=0.0, disc_width=64),
}


def measure(x, labels, iterations: int, warmup: int, image_size: int, **settings) -> float:
    stamps: dict[int, float] = {}

    def stamp(it: int, _losses: dict[str, float]) -> None:
        if it in (warmup - 1, iterations - 1):
            stamps[it] = time.perf_counter()

    train_stargan(x, labels, arch="res6", width=16, iterations=iterations, device_type="cpu", verbose=False,
                  callback=stamp, **settings)
    return (iterations - warmup) / (stamps[iterations - 1] - stamps[warmup - 1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", default="benchmarks/results/train_speed-cpu.json")
    p.add_argument("--label", default="current", help="names the code measured (e.g. a commit)")
    p.add_argument("--iterations", type=int, default=150)
    p.add_argument("--warmup", type=int, default=25)
    p.add_argument("--image-sizes", type=int, nargs="+", default=[32])
    args = p.parse_args(argv)
    records = []
    if os.path.exists(args.output):
        with open(args.output, encoding="utf-8") as fh:
            records = [r for r in json.load(fh) if r["label"] != args.label]
    for size in args.image_sizes:
        x, labels = SyntheticFaces(500, size, seed=0, attributes=PAPER_ATTRIBUTES).arrays()
        for name, settings in RECIPES.items():
            its = measure(x, labels, args.iterations, args.warmup, size, **settings)
            rec = {"label": args.label, "recipe": name, "image_size": size, "width": 16, "batch_size": 16,
                   "iterations_per_second": its, "seconds_per_iteration": 1 / its, "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "machine": platform.machine(),
                   "command": "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:])}
            print(f"{args.label:10s} {size:4d} px  {name:50s} {its:6.2f} it/s ({1000 / its:.0f} ms)", flush=True)
            records.append(rec)
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(records, fh, indent=2)


if __name__ == "__main__":
    main()
