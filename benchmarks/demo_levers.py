"""Levers of the learned defence at the demo's scale: ``make demo``'s setting (public-model scenario, 32 px
synthetic faces, gray-box ``cnet``, ``--arch`` another; the rounds before it: ``res6``) with the defence's settings
changed, one variant per run, every variant on the same released model, forger and attribute classifier (the first
variant trains them, the others copy its cached checkpoints), so that only the defence differs. The controls (Ruiz
PGD on the released model, sign noise, white-box PGD on the forger) are the first variant's.

Each ``--variant NAME=ITERATIONS[,KEY=VALUE...]`` is one demo run in ``<workdir>/NAME`` with ITERATIONS
alternating iterations of the defence and the ``InitiativeConfig`` settings given (``--set`` of ``art-initiative
demo``), or ``defence_faces=N``: the defence trains on N faces (``DemoConfig.defence_faces``), or
``surrogates=PATH+PATH...``: the defence is also trained against those frozen models
(``DemoConfig.defence_surrogates``, an ensemble); a folder that already holds the ``report.json`` of the same
variant is read instead of run again (a folder with the trained defence but no such report re-measures it).
``--image-size N`` runs every variant's demo at N px (``DemoConfig.image_size``) instead of the demo's 32::

    .venv/bin/python benchmarks/demo_levers.py --workdir /tmp/demo_levers \\
        --stem benchmarks/results/demo_levers-synthetic-cpu \\
        --variant base=400 --variant nocyc=600,lambda_cyc=0

Writes ``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` (forgery MSE per variant, PG as trained and saturated,
beside the controls).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
from dataclasses import asdict, fields, replace

from art_initiative.attacks.initiative.config import InitiativeConfig, parse_settings
from art_initiative.benchmark.demo import DemoConfig, run_demo
from art_initiative.benchmark.protections import defence_config

DEMO_KEYS = ("defence_faces", "surrogates")  # variant keys that are DemoConfig's, not the defence's


def parse_variant(spec: str, flag: str = "--variant") -> tuple[str, int, dict[str, object]]:
    """``"nocyc=600,lambda_cyc=0"`` -> ``("nocyc", 600, {"lambda_cyc": 0.0})`` (``defence_faces=N`` stays an
    int under its own name); errors name the option ``flag``."""
    name, sep, rest = spec.partition("=")
    its, *pairs = rest.split(",") if rest else [""]
    if not sep or not name or not its.isdigit():
        raise ValueError(f"{flag} must be NAME=ITERATIONS[,KEY=VALUE...], got {spec!r}.")
    demo: dict[str, object] = {}
    for pair in [p for p in pairs if p.partition("=")[0] in DEMO_KEYS]:
        key, _, text = pair.partition("=")
        if key == "surrogates":  # PATH+PATH...: the defence's further frozen surrogates
            if not text or "" in text.split("+"):
                raise ValueError(f"surrogates must be PATH[+PATH...], got {text!r} in {spec!r}.")
            demo[key] = tuple(text.split("+"))
            continue
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{key} must be an int >= 1, got {text!r} in {spec!r}.")
        demo[key] = int(text)
    return name, int(its), {**parse_settings([p for p in pairs if p.partition("=")[0] not in DEMO_KEYS]), **demo}


def demo_config(arch: str, its: int, settings: dict[str, object], image_size: int = DemoConfig.image_size
                ) -> DemoConfig:
    """The demo of one variant: its iterations, its DemoConfig keys and its defence settings, at ``image_size``."""
    demo = {("defence_surrogates" if k == "surrogates" else k): v for k, v in settings.items() if k in DEMO_KEYS}
    return DemoConfig(arch=arch, image_size=image_size, defence_iterations=its, **demo,
                      defence_settings={k: v for k, v in settings.items() if k not in DEMO_KEYS})


def existing_report(out: str, wanted: DemoConfig) -> dict | None:
    """The ``report.json`` already in ``out`` when the demo that wrote it ran the same harness settings as
    ``wanted`` (models, data, defence; a report written before a setting existed counts that setting's default),
    else None (the variant is then run)."""
    path = os.path.join(out, "report.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        report = json.load(fh)
    stored_config = {"arch": "res6", **report["config"]}  # the demo's architecture before the setting existed
    stored = DemoConfig(**{k: v for k, v in stored_config.items() if k in {f.name for f in fields(DemoConfig)}})
    bench = wanted.benchmark_config()
    # models and data from the demo's settings; the defence's from the settings its PG recorded (the demo's
    # defaults for the defence, such as its learning-rate decay, may have changed since the report was written)
    if replace(stored.benchmark_config(), defence={}) != replace(bench, defence={}):
        return None
    # the PG's own settings: a profile's or the demo's defaults may have changed since the report was written
    expected = json.loads(json.dumps(asdict(defence_config("initiative", bench))))
    if bench.defence_surrogates:  # the defence records its further surrogates by their weights
        from art_initiative.attacks.initiative.attribute import surrogate_digests
        from art_initiative.training import load_stargan

        expected["surrogate_digests"] = surrogate_digests([load_stargan(p, "cpu") for p in bench.defence_surrogates])
    pg = next((r for r in report["records"] if r["method"] == "initiative"), None)
    if pg is None or "defence_config" not in pg:
        return None
    # a setting added since the report was written ran at its default (the behaviour it was added with)
    stored_pg = {**json.loads(json.dumps(asdict(InitiativeConfig()))), **pg["defence_config"]}
    if stored_pg != expected:
        return None
    print(f"  read {path} (delete it to run the variant again)", flush=True)
    return report


def _row(records: list[dict], method: str) -> dict:
    return next(r for r in records if r["method"] == method and not r.get("sweep"))


def _scores(r: dict) -> dict:
    return {k: r[k] for k in ("dsr", "dsr_0.02", "dsr_0.01", "mse", "psnr", "seconds_per_image")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=ITERATIONS[,KEY=VALUE...]")
    parser.add_argument("--workdir", required=True, help="one demo output folder per variant")
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--arch", choices=("res6", "res9", "cnet", "unet128"), default=DemoConfig.arch,
                        help="the demo's architecture (released model, surrogate and forger; default the demo's)")
    parser.add_argument("--image-size", type=int, default=DemoConfig.image_size,
                        help="the demo's image size (DemoConfig.image_size; default the demo's)")
    parser.add_argument("--device", choices=("gpu", "cpu"), default="cpu")
    parser.add_argument("--note", default="", help="a sentence for the Markdown (how the timings were taken)")
    args = parser.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in args.variant]
    except ValueError as err:
        parser.error(str(err))
    if len({name for name, _, _ in variants}) != len(variants):
        parser.error("variant names must be unique")
    try:
        demo_config(args.arch, 1, {}, args.image_size).benchmark_config()  # the size alone, before any training
    except ValueError as err:
        parser.error(f"--image-size: {err}")

    rows, controls = [], {}
    first_cache = os.path.join(args.workdir, variants[0][0], "cache")
    for k, (name, its, settings) in enumerate(variants):
        out = os.path.join(args.workdir, name)
        if k > 0:  # the same released model, forger and classifier as the first variant
            os.makedirs(os.path.join(out, "cache"), exist_ok=True)
            for path in glob.glob(os.path.join(first_cache, "stargan-*")) + \
                    glob.glob(os.path.join(first_cache, "classifier.*")):
                target = os.path.join(out, "cache", os.path.basename(path))
                if not os.path.exists(target):
                    shutil.copy2(path, target)
        print(f"[{k + 1}/{len(variants)}] {name}: {its} iterations, {settings or 'the demo defaults'}", flush=True)
        wanted = demo_config(args.arch, its, settings, args.image_size)
        report = existing_report(out, wanted)
        if report is None:
            report = run_demo(out, wanted, device_type=args.device, verbose=False)
        init = _row(report["records"], "initiative")
        rows.append({"variant": name, "iterations": its, "settings": settings,
                     "train_seconds": init.get("setup_seconds"), "pg_best": init.get("pg_best"),
                     "initiative": _scores(init),
                     "initiative_sign": _scores(_row(report["records"], "initiative_sign")),
                     "run_seconds": report["total_seconds"]})
        if k == 0:
            controls = {m: _scores(_row(report["records"], m)) for m in ("ruiz_pgd", "sign_noise", "whitebox_pgd")}
    result = {"setting": f"make demo (public-model scenario, {args.image_size} px synthetic faces, gray-box "
                         f"{args.arch}, eps 0.05)",
              "arch": args.arch, "image_size": args.image_size,
              "command": "python " + " ".join(sys.argv), "variants": rows, "controls": controls, "note": args.note}
    os.makedirs(os.path.dirname(os.path.abspath(args.stem)), exist_ok=True)
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(markdown(result))
    figure(result, args.stem + ".png")
    print(markdown(result))
    return 0


def _shown(value: object) -> str:
    """A setting as the table shows it: paths (``surrogates``) by their file names, joined by ``+``."""
    if isinstance(value, (list, tuple)):
        return "+".join(os.path.basename(str(v)) for v in value)
    return str(value)


def markdown(result: dict) -> str:
    """The variants and controls as a Markdown table."""
    def pct(v: float) -> str:
        return f"{100 * v:.0f}%"

    lines = [f"Setting: {result['setting']}. Command: `{result['command']}`.", ""]
    if result.get("note"):
        lines += [result["note"], ""]
    lines += ["| variant | settings | alt. iterations | train s | DSR >0.05 / 0.02 / 0.01 | MSE | saturated: DSR "
              ">0.05 / 0.02 | MSE |", "|---|---|---|---|---|---|---|---|"]
    for r in result["variants"]:
        p, s = r["initiative"], r["initiative_sign"]
        settings = ", ".join(f"{k}={_shown(v)}" for k, v in r["settings"].items()) or "demo defaults"
        train = f"{r['train_seconds']:.0f}" if r.get("train_seconds") else "-"
        lines.append(f"| {r['variant']} | {settings} | {r['iterations']} | {train} | {pct(p['dsr'])} / "
                     f"{pct(p['dsr_0.02'])} / {pct(p['dsr_0.01'])} | {p['mse']:.4f} | {pct(s['dsr'])} / "
                     f"{pct(s['dsr_0.02'])} | {s['mse']:.4f} |")
    for name, c in result["controls"].items():
        lines.append(f"| {name} (control) | - | - | - | {pct(c['dsr'])} / {pct(c['dsr_0.02'])} / "
                     f"{pct(c['dsr_0.01'])} | {c['mse']:.4f} | - | - |")
    return "\n".join(lines) + "\n"


def figure(result: dict, path: str) -> None:
    """Forgery MSE per variant (PG and saturated PG) with the controls as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    names = [r["variant"] for r in result["variants"]]
    xs = range(len(names))
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 3, 3.6))
    ax.bar([x - 0.2 for x in xs], [r["initiative"]["mse"] for r in result["variants"]], 0.4, label="PG")
    ax.bar([x + 0.2 for x in xs], [r["initiative_sign"]["mse"] for r in result["variants"]], 0.4,
           label="PG, saturated")
    for (name, c), style in zip(result["controls"].items(), ("--", ":", "-."), strict=False):
        ax.axhline(c["mse"], linestyle=style, color="k", linewidth=1, label=name)
    ax.set_xticks(list(xs), names, rotation=20, ha="right")
    ax.set_ylabel(f"forgery MSE (gray-box {result.get('arch', 'res6')})")
    ax.legend(fontsize=7, loc="upper left")
    save_figure(fig, path)


if __name__ == "__main__":
    sys.exit(main())
