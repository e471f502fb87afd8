"""The "more PG iterations" lever as a curve: the gray-box DSR and forgery MSE of the learned PG against its
training iterations and wall time, from harness results files, beside the controls of the first file.

Each ``--run ITERATIONS=PATH`` is a results JSON of ``art-initiative benchmark --task attribute_editing`` (or the
``report.json`` of ``art-initiative demo``, whose ``records`` are the harness's) whose ``initiative`` defence was
trained for ITERATIONS alternating iterations (``--set iterations=N``; a longer run resumes the shorter one's
training checkpoint, so the points are one training run). A file with an ``initiative_sign`` row (the same PG
at the full budget) adds that point beside the PG's. The first file's ``ruiz_pgd``, ``whitebox_pgd`` and
``sign_noise`` rows (or those of ``--controls PATH``, a results file of the same setting, when the runs have
none) are drawn as horizontal lines::

    .venv/bin/python benchmarks/pg_iterations_curve.py --stem benchmarks/results/pg_iterations-synthetic-cpu-public \\
        --run 800=benchmarks/results/attribute_editing-synthetic-cpu-public.json \\
        --run 1300=benchmarks/results/attribute_editing-synthetic-cpu-public-pg1300.json ...

Writes ``<stem>.json``, ``<stem>.md`` and ``<stem>.png``.
"""

from __future__ import annotations

import argparse
import json
import sys


def _row(records: list[dict], method: str, target: str, domains: str) -> dict | None:
    return next((r for r in records if r["method"] == method and r["target"] == target
                 and r["domains"] == domains and not r.get("sweep")), None)


def _records(loaded: list | dict) -> list[dict]:
    """The records of a harness results file (a list) or of a demo's ``report.json`` (a dict holding them)."""
    return loaded["records"] if isinstance(loaded, dict) else loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, metavar="ITERATIONS=PATH")
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--target", default="res6")
    parser.add_argument("--domains", default="SD")
    parser.add_argument("--note", default="", help="a sentence for the Markdown (how the timings were taken)")
    parser.add_argument("--controls", default=None, metavar="PATH",
                        help="take the control rows from this results file instead of the first --run")
    args = parser.parse_args(argv)
    points: list[dict] = []
    control_records: list[dict] = []
    for k, spec in enumerate(args.run):
        its, _, path = spec.partition("=")
        if not its.isdigit() or not path:
            parser.error(f"--run must be ITERATIONS=PATH, got {spec!r}")
        with open(path, encoding="utf-8") as fh:
            records = _records(json.load(fh))
        r = _row(records, "initiative", args.target, args.domains)
        if r is None:
            parser.error(f"{path} has no initiative record for {args.target} {args.domains}")
        points.append({"iterations": int(its), "train_seconds": r.get("setup_seconds"), "dsr": r["dsr"],
                       "dsr_0.02": r["dsr_0.02"], "dsr_0.01": r["dsr_0.01"], "mse": r["mse"], "psnr": r["psnr"],
                       "best_distance": (r.get("pg_best") or {}).get("best_distance"), "source": path,
                       "command": r.get("command")})
        if (sat := _row(records, "initiative_sign", args.target, args.domains)) is not None:
            points[-1]["saturated"] = {key: sat[key] for key in ("dsr", "dsr_0.02", "dsr_0.01", "mse", "psnr")}
        if k == 0:
            control_records = records
    if args.controls is not None:
        with open(args.controls, encoding="utf-8") as fh:
            control_records = _records(json.load(fh))
    controls = {m: {key: c[key] for key in ("dsr", "dsr_0.02", "dsr_0.01", "mse")}
                for m in ("ruiz_pgd", "whitebox_pgd", "sign_noise")
                if (c := _row(control_records, m, args.target, args.domains)) is not None}
    points.sort(key=lambda p: p["iterations"])
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"points": points, "controls": controls, "command": "python benchmarks/pg_iterations_curve.py "
                   + " ".join(argv if argv is not None else sys.argv[1:])}, fh, indent=1)
    lines = [f"# The learned PG against its training iterations ({args.target}, {args.domains}, eps 0.05)", "",
             "One training run, resumed to each length; `train s` is its wall time on a shared 2-core machine. "
             + args.note, "",
             "| PG iterations | train s | DSR >0.05 | >0.02 | >0.01 | MSE | PSNR | own-SM distance |",
             "|---|---|---|---|---|---|---|---|"]

    def cells(r: dict) -> str:
        return (f"{100 * r['dsr']:.1f}% | {100 * r['dsr_0.02']:.1f}% | {100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} | "
                f"{r['psnr']:.1f} dB")

    for p in points:
        secs = "-" if p["train_seconds"] is None else f"{p['train_seconds']:.0f}"
        best = "-" if p["best_distance"] is None else f"{p['best_distance']:.4f}"
        lines.append(f"| {p['iterations']} | {secs} | {cells(p)} | {best} |")
    saturated = [p for p in points if "saturated" in p]
    if saturated:
        lines += ["", "The same PGs saturated (`initiative_sign`: `clip(x + eps sign(PG(x)))`, no training of its "
                  "own):", "", "| PG iterations | DSR >0.05 | >0.02 | >0.01 | MSE | PSNR |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {p['iterations']} | {cells(p['saturated'])} |" for p in saturated]
    lines += ["", f"Controls ({args.controls or 'first file'}):", "", "| method | DSR >0.05 | >0.02 | >0.01 | MSE |",
              "|---|---|---|---|---|"]
    lines += [f"| {m} | {100 * c['dsr']:.1f}% | {100 * c['dsr_0.02']:.1f}% | {100 * c['dsr_0.01']:.1f}% | "
              f"{c['mse']:.4f} |" for m, c in controls.items()]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    its = [p["iterations"] for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for key, label in (("dsr", "DSR > 0.05"), ("dsr_0.02", "DSR > 0.02"), ("dsr_0.01", "DSR > 0.01")):
        line, = left.plot(its, [100 * p[key] for p in points], "o-", label=f"PG {label}")
        if "ruiz_pgd" in controls:
            left.axhline(100 * controls["ruiz_pgd"][key], color=line.get_color(), ls="--", lw=1)
    left.set(xlabel="PG iterations", ylabel="% of (face, domain) pairs", ylim=(-2, 102),
             title="DSR (dashed: Ruiz PGD on the public model)")
    left.legend(fontsize=8)
    right.plot(its, [p["mse"] for p in points], "o-", color="k", label="PG")
    if saturated:
        left.plot([p["iterations"] for p in saturated], [100 * p["saturated"]["dsr"] for p in saturated], "s:",
                  color="k", label="PG saturated, DSR > 0.05")
        right.plot([p["iterations"] for p in saturated], [p["saturated"]["mse"] for p in saturated], "s:",
                   color="k", label="PG saturated")
    for m, style in (("ruiz_pgd", "--"), ("whitebox_pgd", ":"), ("sign_noise", "-.")):
        if m in controls:
            right.axhline(controls[m]["mse"], ls=style, color="grey", label=m)
    right.set(xlabel="PG iterations", ylabel="MSE of the forgeries", title="forgery MSE")
    right.legend(fontsize=8)
    save_figure(fig, args.stem + ".png")
    print(f"wrote {args.stem}.json, .md and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
