"""The error poisons' lever "surrogate training" as a curve: DSR and forger quality against the poison's rounds.

For each ``--rounds R`` the reenactment harness runs ``--methods`` with ``poison_rounds=R`` (R rounds of 100
surrogate updates of batch 16, then the noise update) beside sign noise and the clean retrain, on franck with
the ``cpu`` profile's protocol, every forger and poison kept in ``--cache-dir``. Each point's poison is its own
run from the same seed, so a shorter run repeats the first rounds of a longer one::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/poison_rounds_curve.py --targets res6 --eps 0.05 0.02 \\
        --rounds 5 10 20 40 80 --stem benchmarks/results/poison_rounds-franck-cpu

Writes ``<stem>.json`` (one record per point, the harness's, with ``poison_rounds``), ``<stem>.md`` and
``<stem>.png``; the harness's own files of each point go to ``<work>/rounds-R``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from art_initiative.benchmark.harness import run_benchmark

CONTROLS = ("sign_noise", "none")


def _fmt(r: dict[str, Any]) -> str:
    return f"{100 * r['dsr']:.0f}% ± {100 * r.get('dsr_std', 0.0):.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, nargs="+", required=True)
    parser.add_argument("--methods", nargs="+", default=["adversarial_poison"])
    parser.add_argument("--targets", nargs="+", default=["res6"])
    parser.add_argument("--eps", type=float, nargs="+", default=[0.05])
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--cache-dir", default=os.path.join("benchmarks", "cache"))
    parser.add_argument("--work", default=None, help="where each point's harness files go (default: a temp dir)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args(argv)
    if any(r < 1 for r in args.rounds):
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    work = args.work or tempfile.mkdtemp(prefix="poison_rounds-")
    command = "python benchmarks/poison_rounds_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    points: list[dict[str, Any]] = []
    controls: dict[tuple[str, str, float], dict[str, Any]] = {}
    for rounds in sorted(set(args.rounds)):
        records = run_benchmark("reenactment", "franck", "cpu", os.path.join(work, f"rounds-{rounds}"),
                                device_type=args.device, cache_dir=args.cache_dir, command=command, verbose=False,
                                methods=tuple(args.methods) + CONTROLS, targets=tuple(args.targets),
                                eps=tuple(args.eps), poison_rounds=rounds)
        for r in records:
            if r["method"] in args.methods:
                points.append({**r, "poison_rounds": rounds})
            else:
                controls[(r["method"], r["target"], r["eps"])] = r
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"points": points, "controls": list(controls.values()), "command": command}, fh, indent=1)

    lines = [f"# Error poisons against the surrogate's training ({', '.join(args.targets)}, franck, cpu profile)", "",
             f"Command: `{command}`.", "",
             "Each point: the poison after R rounds of 100 surrogate updates (batch 16), published, and forgers "
             "trained on it with the protocol of `reenactment-franck-cpu.md` (two forger-seed pairs, `± std` over "
             "them). DSR = share of held-out sketches with L1(M(z), M'(z)) > 0.05; L1 / LPIPS to real: the "
             "poisoned forgers' distance to the real held-out frames, against the clean forgers'.", "",
             "| method | target | eps | rounds | surrogate s | DSR | L1 to real | LPIPS to real | PSNR |",
             "|---|---|---|---|---|---|---|---|---|"]
    for p in sorted(points, key=lambda p: (p["method"], p["target"], p["eps"], p["poison_rounds"])):
        lines.append(f"| {p['method']} | {p['target']} | {p['eps']:g} | {p['poison_rounds']} | "
                     f"{p['setup_seconds']:.0f} | {_fmt(p)} | {p['l1_to_real']:.4f} (clean "
                     f"{p['l1_to_real_clean']:.4f}) | {p['lpips_to_real']:.4f} (clean {p['lpips_to_real_clean']:.4f})"
                     f" | {p['psnr']:.1f} dB |")
    lines += ["", "Controls (the same forgers at every point):", "", "| method | target | eps | DSR | L1 to real |",
              "|---|---|---|---|---|"]
    lines += [f"| {m} | {t} | {e:g} | {_fmt(r)} | {r['l1_to_real']:.4f} |" for (m, t, e), r in controls.items()]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for method in args.methods:
        for target in args.targets:
            for eps in args.eps:
                ps = sorted((p for p in points if (p["method"], p["target"], p["eps"]) == (method, target, eps)),
                            key=lambda p: p["poison_rounds"])
                label = f"{method} {target} eps {eps:g}"
                line, = left.plot([p["poison_rounds"] for p in ps], [100 * p["dsr"] for p in ps], "o-", label=label)
                right.plot([p["poison_rounds"] for p in ps], [p["lpips_to_real"] for p in ps], "o-", label=label,
                           color=line.get_color())
                if (c := controls.get(("sign_noise", target, eps))) is not None:
                    left.axhline(100 * c["dsr"], color=line.get_color(), ls="--", lw=1)
                if (c := controls.get(("none", target, 0.0))) is not None:
                    left.axhline(100 * c["dsr"], color="grey", ls=":", lw=1)
                    right.axhline(c["lpips_to_real_clean"], color="grey", ls=":", lw=1)
    ticks = sorted(set(args.rounds))
    left.set(xscale="log", xlabel="poison rounds", ylabel="% of held-out sketches", ylim=(-2, 102),
             title="DSR (dashed: sign noise, dotted: floor)")
    right.set(xscale="log", xlabel="poison rounds", ylabel="LPIPS of M'(z) to the real frame",
              title="forger quality (dotted: clean forgers)")
    for ax in (left, right):
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
    left.legend(fontsize=8)
    save_figure(fig, args.stem + ".png")
    print(f"wrote {args.stem}.json, .md and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
