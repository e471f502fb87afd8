"""Write the PG weights that ship inside the package (``art_initiative/weights/``).

Each shipped PG is the harness's own ``initiative`` defence (the same settings, data split and cache as
``art-initiative benchmark``), so that the committed results of that benchmark are the measured protection of the
shipped weights; the measured rows are copied into the weights' ``.json``. Run the benchmark first (it trains and
caches the defence), then::

    .venv/bin/python benchmarks/ship_weights.py --task attribute_editing --data synthetic
    .venv/bin/python benchmarks/ship_weights.py --task reenactment --data franck

Existing weights are never overwritten: delete the pair first to replace it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys

import torch

from art_initiative.attacks.initiative.pretrained import WEIGHTS_DIR, export_pretrained
from art_initiative.benchmark.harness import FRANCK_ATTRIBUTE_SETTINGS, PROFILE_SETTINGS, results_stem

RESULTS = os.path.join(os.path.dirname(__file__), "results")
CACHE = os.path.join(os.path.dirname(__file__), "cache")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _measured(task: str, data: str, profile: str) -> list[dict]:
    """The committed results of the ``initiative`` method (the shipped PG) in the benchmark's results file."""
    path = results_stem(RESULTS, task, data, profile) + ".json"
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: run `art-initiative benchmark --task {task} --data {data} --profile "
                 f"{profile} --device cpu` first (its defence is the one shipped).")
    with open(path, encoding="utf-8") as fh:
        records = json.load(fh)
    keep = ("target", "domains", "eps", "dsr", "dsr_0.02", "dsr_0.01", "mse", "l1", "psnr")
    return [{k: r.get(k) for k in keep} for r in records if r["method"] == "initiative" and not r.get("sweep")]


def attribute_defence(data: str, profile: str):  # noqa: ANN201
    from art_initiative.benchmark.attribute import AttributeBenchmarkConfig, _defence, attribute_data, train_target

    settings = {**PROFILE_SETTINGS["attribute_editing"][profile],
                **(FRANCK_ATTRIBUTE_SETTINGS[profile] if data == "franck" else {})}
    cfg = AttributeBenchmarkConfig(profile=profile, **settings).validate()
    split = attribute_data(data, cfg, cache_dir=CACHE)
    (xd, ld) = split.defender
    sd = split.columns("SD")
    surrogate = train_target(xd, ld[:, sd], "res6", cfg.seed + 1, cfg, "cpu", CACHE)
    defence = _defence("initiative", xd, ld[:, sd], split.settings["SD"], surrogate, cfg, CACHE, verbose=True)
    return defence, {"arch": "res6", "width": cfg.width, "c_dim": len(sd)}, {"attributes": list(split.settings["SD"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("attribute_editing",), default="attribute_editing")
    parser.add_argument("--data", choices=("synthetic", "franck"), default="synthetic")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--default", action="store_true", help="mark it the default PG of its task")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    measured = _measured(args.task, args.data, args.profile)
    defence, surrogate, extra = attribute_defence(args.data, args.profile)
    size = defence.estimator.input_shape[1]
    name = f"{'attribute' if args.task == 'attribute_editing' else 'reenactment'}-{args.data}-{size}"
    on_greybox = [r for r in measured if r["target"] == "res6" and r["domains"] == "SD"]
    summary = (f"{args.task} PG, {args.data} data, {size} px, eps {defence.eps:g}, profile {args.profile}; "
               + (f"gray-box res6 DSR {100 * on_greybox[0]['dsr']:.0f}% (MSE {on_greybox[0]['mse']:.4f})"
                  if on_greybox else "no gray-box record"))
    provenance = {
        "summary": summary, "task": args.task, "data": args.data, "profile": args.profile, "surrogate": surrogate,
        "command": "python benchmarks/ship_weights.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "benchmark": f"benchmarks/results/{os.path.basename(results_stem(RESULTS, args.task, args.data, args.profile))}"
                     ".json (method initiative)",
        "best": defence.best, "commit": _commit(), "written": datetime.date.today().isoformat(),
        "measured": measured,
    }
    export_pretrained(os.path.join(WEIGHTS_DIR, name), defence.pg, defence.config, defence.estimator.input_shape,
                      defence._clip, provenance, extra=extra, default=args.default)
    print(f"wrote {os.path.join(WEIGHTS_DIR, name)}.safetensors and .json: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
