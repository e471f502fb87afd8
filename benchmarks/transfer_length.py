"""Transfer between independently trained models against their training length, from ``strength_transfer.py``
files: one per length, each with the defender's model as ``--public`` and models trained from random weights for
as many iterations as ``--forger`` (``drift_forgers.py --target-iterations N --independent 1``, on each side).

Does anything the defender computes on its own model move a model it never saw, once the models have trained
longer? For every length and every such model it takes Ruiz PGD-10 computed on the defender's model (the transfer),
white-box PGD-10 on the model itself (the ceiling), sign noise (the floor), and how far the model's clean edits are
from the defender's model's (``clean_distance``: models that do not compute the same edits need not share
vulnerable directions)::

    .venv/bin/python benchmarks/transfer_length.py --stem benchmarks/results/transfer_length-synthetic-cpu-32-cnet \\
        1000=/tmp/len1000.json 2000=/tmp/len2000.json 4000=/tmp/len4000.json

Writes ``<stem>.json``, ``<stem>.md`` and ``<stem>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the sibling script below

from strength_transfer import RUIZ_ROW, whitebox_row  # noqa: E402


def length_records(runs: list[tuple[int, dict]]) -> list[dict]:
    """One record per (length, model) of the ``strength_transfer.py`` results ``runs`` (``(iterations, loaded
    JSON)``, in any order; sorted by length): the transfer, the model's own white-box PGD, sign noise (forgery MSE
    and DSR at MSE > 0.05 each) and the clean distance. Raises ``ValueError`` if a file lacks one of those rows."""
    records = []
    for iterations, run in sorted(runs, key=lambda r: r[0]):
        rows = {r["method"]: r for r in run["rows"]}
        for model in run["forgers"]:
            whitebox = whitebox_row(model, len(run["forgers"]))
            missing = [m for m in (RUIZ_ROW, whitebox, "sign_noise") if m not in rows]
            if missing or "clean_distance" not in run:
                raise ValueError(f"the {iterations}-iteration file lacks {missing or ['clean_distance']}: run "
                                 "strength_transfer.py with its default rows.")
            scores = {key: rows[m]["forgers"][model] for key, m in
                      (("transfer", RUIZ_ROW), ("whitebox", whitebox), ("noise", "sign_noise"))}
            records.append({"iterations": iterations, "model": model, "clean_distance": run["clean_distance"][model],
                            "defender_whitebox_mse": rows[RUIZ_ROW]["public"]["mse"],
                            **{f"{k}_mse": s["mse"] for k, s in scores.items()},
                            **{f"{k}_dsr": s["dsr_0.05"] for k, s in scores.items()}})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="ITERATIONS=JSON",
                        help="a strength_transfer.py results file and the models' training length")
    parser.add_argument("--stem", required=True, help="output path without extension")
    args = parser.parse_args(argv)
    runs = []
    for spec in args.runs:
        its, sep, path = spec.partition("=")
        if not sep or not its.isdigit() or int(its) < 1 or not path:
            parser.error(f"each run must be ITERATIONS=JSON with ITERATIONS >= 1, got {spec!r}")
        try:
            with open(path, encoding="utf-8") as fh:
                runs.append((int(its), json.load(fh)))
        except (OSError, json.JSONDecodeError) as err:
            parser.error(f"run {spec!r}: cannot read {path}: {err}")
    try:
        records = length_records(runs)
    except ValueError as err:
        parser.error(str(err))
    command = "python benchmarks/transfer_length.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"records": records, "command": command, "notes": {its: r["note"] for its, r in runs}}, fh,
                  indent=1)
    lines = ["# Transfer between independently trained models against their training length", "",
             "Each model is trained from random weights for the given iterations; the defender's model (the "
             "public model of `strength_transfer.py`) for as many. Forgery MSE (DSR at MSE > 0.05) of Ruiz PGD-10 "
             "computed on the defender's model (transfer), of white-box PGD-10 on the model itself, and of sign "
             "noise; `clean distance`: MSE between the model's and the defender's model's edits of the clean faces.",
             "", "| iterations | model | transfer | white-box | sign noise | clean distance | white-box on the "
             "defender's model |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['iterations']} | {r['model']} | {r['transfer_mse']:.4f} ({100 * r['transfer_dsr']:.0f}%) | "
              f"{r['whitebox_mse']:.4f} ({100 * r['whitebox_dsr']:.0f}%) | {r['noise_mse']:.4f} | "
              f"{r['clean_distance']:.4f} | {r['defender_whitebox_mse']:.4f} |" for r in records]
    lines += ["", f"Command: `{command}`"]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    for i, model in enumerate(dict.fromkeys(r["model"] for r in records)):
        mine = [r for r in records if r["model"] == model]
        its, color = [r["iterations"] for r in mine], plt.get_cmap("tab10").colors[i % 10]
        left.plot(its, [r["transfer_mse"] for r in mine], "o-", color=color, label=f"{model}: PGD on the defender's")
        left.plot(its, [r["whitebox_mse"] for r in mine], "x--", color=color, label=f"{model}: white-box")
        left.plot(its, [r["noise_mse"] for r in mine], ":", color=color, label=f"{model}: sign noise")
        right.plot(its, [r["clean_distance"] for r in mine], "o-", color=color, label=model)
    left.axhline(0.05, color="grey", ls=":", lw=1)
    left.set(xscale="log", yscale="log", xlabel="training iterations of every model", ylabel="forgery MSE",
             title="Transfer to an independently trained model")
    right.set(xscale="log", xlabel="training iterations of every model", ylabel="MSE of the clean edits",
              title="How far its edits are from the defender's model's")
    left.legend(fontsize=7)
    right.legend(fontsize=8)
    save_figure(fig, args.stem + ".png", tight=True)
    print(f"wrote {args.stem}.json, .md and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
