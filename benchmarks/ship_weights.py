"""Write the PG weights that ship inside the package (``art_initiative/weights/``).

Each shipped PG is the harness's own ``initiative`` defence (the same settings, data split and cache as
``art-initiative benchmark``), so that the committed results of that benchmark are the measured protection of the
shipped weights; the measured rows are copied into the weights' ``.json``. Run the benchmark first (it trains and
caches the defence), then::

    .venv/bin/python benchmarks/ship_weights.py --task attribute_editing --data synthetic
    .venv/bin/python benchmarks/ship_weights.py --task reenactment --data franck --eps 0.05 --default

A defence trained with other settings (``--set``) into another cache is exported from there with its own results
file; the shipped ``attribute-synthetic-32-public`` came from the public-model scenario's 2400-iteration run::

    .venv/bin/python benchmarks/ship_weights.py --forger-start public --default --set iterations=2400 \
        --cache-dir /tmp/lever_cache --results benchmarks/results/attribute_editing-synthetic-cpu-public-pg2400.json

Existing weights are never overwritten: delete the pair first to replace it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from typing import Any

import torch

from art_initiative.attacks.initiative.config import parse_settings
from art_initiative.attacks.initiative.pretrained import WEIGHTS_DIR, export_pretrained
from art_initiative.benchmark.harness import attribute_config, reenactment_config, results_stem

RESULTS = os.path.join(os.path.dirname(__file__), "results")
CACHE = os.path.join(os.path.dirname(__file__), "cache")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _results(task: str, data: str, profile: str, forger_start: str) -> str:
    return results_stem(RESULTS, task, data, profile) + ("-public" if forger_start == "public" else "") + ".json"


def _measured(path: str, task: str, data: str, profile: str, forger_start: str) -> list[dict]:
    """The committed results of the ``initiative`` method (the shipped PG) in the benchmark's results file at
    ``path``, with its controls (noise, nothing published, the Ruiz baseline, white-box PGD)."""
    if not os.path.exists(path):
        extra = " --forger-start public" if forger_start == "public" else ""
        sys.exit(f"{path} is missing: run `art-initiative benchmark --task {task} --data {data} --profile "
                 f"{profile} --device cpu{extra}` first (its defence is the one shipped).")
    with open(path, encoding="utf-8") as fh:
        records = json.load(fh)
    keep = ("method", "target", "domains", "eps", "dsr", "dsr_0.02", "dsr_0.01", "mse", "l1", "psnr")
    methods = ("initiative", "random_noise", "sign_noise", "universal_sign", "none", "ruiz_pgd", "whitebox_pgd")
    return [{k: r.get(k) for k in keep} for r in records if r["method"] in methods and not r.get("sweep")]


def _attribute_config(data: str, profile: str, forger_start: str, defence: dict[str, Any]):  # noqa: ANN202
    scope = {"targets": ("res6",), "domains": ("SD",)} if forger_start == "public" else {}
    return attribute_config(data, profile, forger_start=forger_start, defence=defence, **scope)


def attribute_defence(data: str, profile: str, forger_start: str, cache: str, settings: dict[str, Any]
                      ):  # noqa: ANN202
    from art_initiative.benchmark.attribute import attribute_data
    from art_initiative.benchmark.protections import trained_defence
    from art_initiative.benchmark.testbed import defender_surrogate

    cfg = _attribute_config(data, profile, forger_start, settings)
    split = attribute_data(data, cfg, cache_dir=cache)
    (xd, ld), sd = split.defender, split.columns("SD")
    surrogate = defender_surrogate(split, cfg, "cpu", cache)
    defence, _ = trained_defence("initiative", xd, ld[:, sd], split.settings["SD"], surrogate, cfg, cache, verbose=True)
    return defence, {"arch": "res6", "width": cfg.width, "c_dim": len(sd)}, {"attributes": list(split.settings["SD"])}


def verify_attribute(name: str, data: str, profile: str, forger_start: str, cache: str) -> dict[str, float]:
    """The exported weights loaded as a user loads them (``InitiativeDefense.from_pretrained``), measured on the
    benchmark's gray-box target and test faces as the harness measures them."""
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.benchmark.attribute import _forgeries, attribute_data
    from art_initiative.benchmark.records import forgery_metrics
    from art_initiative.benchmark.testbed import forger_target
    from art_initiative.data import target_domains

    cfg = _attribute_config(data, profile, forger_start, {})
    split = attribute_data(data, cfg, cache_dir=cache)
    x, lt = split.test
    target = forger_target(split, cfg, "res6", "SD", "cpu", cache)
    doms = target_domains(lt[:, split.columns("SD")], split.settings["SD"])
    defence = InitiativeDefense.from_pretrained(name, device_type="cpu")
    return forgery_metrics(_forgeries(target, x, doms), _forgeries(target, defence.generate(x), doms), metric="mse")


def _reenactment_config(profile: str, defence: dict[str, Any]):  # noqa: ANN202
    return reenactment_config(profile, defence=defence)


def _reenactment_train(data: str, profile: str, cache: str) -> tuple[Any, Any, Any]:
    """The published (training) frames, sketches and landmarks of the harness's split, as the benchmark takes them."""
    from art_initiative.benchmark.harness import _reenactment_data
    from art_initiative.benchmark.reenactment import held_out_split

    cfg, size = _reenactment_config(profile, {})
    train, _, need = held_out_split(cfg.n_train, cfg.gap, cfg.n_test, cfg.blocks)
    _, (frames, sketches, landmarks) = _reenactment_data(data, need, size, cache, True)
    return frames[train], sketches[train], landmarks[train]


def reenactment_defence(data: str, profile: str, forger_start: str, cache: str, defence: dict[str, Any],
                        eps: float | None = None):  # noqa: ANN202
    from art_initiative.benchmark.reenactment import _defence

    cfg, _ = _reenactment_config(profile, defence)
    x, z, lm = _reenactment_train(data, profile, cache)
    pg, _ = _defence("initiative", cfg.eps[0] if eps is None else eps, x, z, lm, cfg, "cpu", cache, True)
    return pg, {"arch": "unet256", "width": cfg.width, "c_dim": 0}, {}


def verify_reenactment(name: str, defence: Any, data: str, profile: str, cache: str) -> float:  # noqa: ANN401
    """The largest pixel difference between the published frames as the exported weights protect them (loaded as
    a user loads them) and as the benchmark's defence protected them."""
    from art_initiative.attacks import InitiativeDefenseReenactment

    x, _, _ = _reenactment_train(data, profile, cache)
    loaded = InitiativeDefenseReenactment.from_pretrained(name, device_type="cpu")
    return float(abs(loaded.generate(x) - defence.generate(x)).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("attribute_editing", "reenactment"), default="attribute_editing")
    parser.add_argument("--data", choices=("synthetic", "franck"), default="synthetic")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--forger-start", choices=("scratch", "public"), default="scratch",
                        help="attribute editing: the defence of the paper's protocol (scratch) or of the public-model "
                             "scenario (public)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="a setting of the defence, as given to the benchmark that trained it")
    parser.add_argument("--results", help="the results file of that benchmark (default: the harness's own)")
    parser.add_argument("--cache-dir", default=CACHE, help="the cache that benchmark trained into")
    parser.add_argument("--default", action="store_true", help="mark it the default PG of its task")
    parser.add_argument("--suffix", default="", help="appended to the weights' name (a variant beside the default)")
    parser.add_argument("--eps", type=float, help="reenactment: the budget of the benchmark's defence to ship "
                                                  "(default: the profile's first)")
    args = parser.parse_args(argv)
    if args.task == "reenactment" and args.forger_start != "scratch":
        parser.error("--forger-start applies to attribute editing only")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    results = args.results or _results(args.task, args.data, args.profile, args.forger_start)
    measured = _measured(results, args.task, args.data, args.profile, args.forger_start)
    own = _results(args.task, args.data, args.profile, args.forger_start)
    if results != own and os.path.exists(own):  # the controls of the same targets, from the benchmark's own file
        have = {(r["method"], r["target"], r["domains"], r["eps"]) for r in measured}
        measured += [r for r in _measured(own, args.task, args.data, args.profile, args.forger_start)
                     if r["method"] != "initiative" and (r["method"], r["target"], r["domains"], r["eps"]) not in have]
    if args.task == "attribute_editing":
        if args.eps is not None:
            parser.error("--eps applies to reenactment only (attribute editing ships its profile's budget)")
        defence, surrogate, extra = attribute_defence(args.data, args.profile, args.forger_start, args.cache_dir,
                                                      parse_settings(args.set or []))
    else:
        defence, surrogate, extra = reenactment_defence(args.data, args.profile, args.forger_start, args.cache_dir,
                                                        parse_settings(args.set or []), args.eps)
    size = defence.estimator.input_shape[1]
    name = (f"{'attribute' if args.task == 'attribute_editing' else 'reenactment'}-{args.data}-{size}"
            + ("-public" if args.forger_start == "public" else "") + args.suffix)
    grey = ("res6", "SD") if args.task == "attribute_editing" else ("unet256", None)
    row = {r["method"]: r for r in measured if (r["target"], r["domains"]) == grey and r["eps"] in (defence.eps, 0.0)}
    scenario = ", public-model scenario" if args.forger_start == "public" else ""
    summary = f"{args.task} PG, {args.data} data{scenario}, {size} px, eps {defence.eps:g}, profile {args.profile}; "
    metric = "mse" if args.task == "attribute_editing" else "l1"

    def rates(r: dict) -> str:
        m = metric.upper()
        return (f"DSR {100 * r['dsr']:.0f}% / {100 * r['dsr_0.02']:.0f}% / {100 * r['dsr_0.01']:.0f}% at {m} > 0.05 / "
                f"0.02 / 0.01, {m} {r[metric]:.4f}" if r.get("dsr_0.02") is not None else f"DSR {100 * r['dsr']:.0f}%")

    if "initiative" in row:
        summary += f"on the gray-box {grey[0]}: {rates(row['initiative'])}" + "".join(
            f"; {m} {rates(row[m])}" for m in ("sign_noise", "universal_sign", "whitebox_pgd", "ruiz_pgd", "none")
            if m in row)
    else:
        summary += "no gray-box record"
    provenance = {
        "summary": summary, "task": args.task, "data": args.data, "profile": args.profile,
        "forger_start": args.forger_start, "surrogate": surrogate,
        "command": "python benchmarks/ship_weights.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "benchmark": f"benchmarks/results/{os.path.basename(results)} (method initiative)",
        "best": defence.best, "commit": _commit(), "written": datetime.date.today().isoformat(),
        "measured": measured,
    }
    export_pretrained(os.path.join(WEIGHTS_DIR, name), defence.pg, defence.config, defence.estimator.input_shape,
                      defence._clip, provenance, extra=extra, default=args.default)
    print(f"wrote {os.path.join(WEIGHTS_DIR, name)}.safetensors and .json: {summary}")
    if args.task == "attribute_editing" and "initiative" in row:
        again = verify_attribute(name, args.data, args.profile, args.forger_start, args.cache_dir)
        committed = row["initiative"]
        print(f"loaded with from_pretrained on the gray-box target: DSR {100 * again['dsr']:.1f}% MSE "
              f"{again['mse']:.5f} (committed: DSR {100 * committed['dsr']:.1f}% MSE {committed['mse']:.5f})")
        if abs(again["mse"] - committed["mse"]) > 1e-4 or abs(again["dsr"] - committed["dsr"]) > 0.005:
            print("the shipped weights do not reproduce the committed results", file=sys.stderr)
            return 1
    if args.task == "reenactment":
        gap = verify_reenactment(name, defence, args.data, args.profile, args.cache_dir)
        print(f"loaded with from_pretrained: the published frames differ from the benchmark defence's by at most "
              f"{gap:.2e}")
        if gap > 1e-5:
            print("the shipped weights do not reproduce the benchmark's poison", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
