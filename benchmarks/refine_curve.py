"""What a few gradient steps on the surrogate add to a learned protection, and what they cost.

In the public-model scenario, a saved :class:`~art_initiative.attacks.InitiativeDefense` (trained on the public
model) protects fresh faces as published (0 steps) and followed by k signed-gradient steps of size eps / k on the
public model from PG's output (``generate(x, y=labels, refine_steps=k)``, not the paper's). Beside each k, the same
k steps from a random point of the eps-ball (PGD-k, the baseline's attack at that budget of steps), and the Ruiz
et al. baseline as the harness runs it (PGD-10, step 0.01) and sign noise. Every protection is scored on the forger's
fine-tuned copy of the public model, with its cost per face on this machine. ``--requests-per-step m`` adds, for each
k, the refinement whose steps disrupt m of a face's five edit requests in turn (``refine_requests=m``), which costs
about m/5 of a step over all five.

The faces are fresh synthetic draws (``--seed``, not the harness's seed 0), so that the test split never chooses the
number of steps::

    .venv/bin/python benchmarks/refine_curve.py --stem benchmarks/results/refine_curve-synthetic-cpu-public-64 \\
        --public CACHE/stargan-res6-...-s1-...-it5000.pt --forger CACHE/stargan-res6-...-ft...-it2500.pt \\
        --defence CACHE/initiative-cpu-eps0.05-...-public.pt --steps 0 1 2 3 5

Writes ``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` (forgery MSE on the forger against milliseconds per face).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np

THRESHOLDS = (0.05, 0.02, 0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--public", required=True, help="train_stargan checkpoint of the public model")
    parser.add_argument("--forger", required=True, help="train_stargan checkpoint the forger fine-tuned from it")
    parser.add_argument("--defence", required=True, help="a saved InitiativeDefense trained on the public model")
    parser.add_argument("--steps", type=int, nargs="+", default=[0, 1, 2, 3, 5], help="refinement steps k")
    parser.add_argument("--requests-per-step", type=int, nargs="*", default=[],
                        help="also refine with m of the five edit requests per step, for each m given (1-4)")
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--n-faces", type=int, default=100)
    parser.add_argument("--seed", type=int, default=123, help="seed of the fresh faces (the harness uses 0)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    args = parser.parse_args(argv)
    if any(k < 0 for k in args.steps):
        parser.error(f"--steps must be >= 0, got {args.steps}")
    if any(not 1 <= m < 5 for m in args.requests_per_step):
        parser.error(f"--requests-per-step must be in [1, 4] (5 is the plain refinement), got {args.requests_per_step}")

    from art_initiative.attacks import InitiativeDefense, RuizDisruption
    from art_initiative.benchmark.attribute import DOMAIN_SETTINGS
    from art_initiative.benchmark.common import pair_scores, sign_noise
    from art_initiative.data.domains import target_domains
    from art_initiative.data.synthetic import ALL_ATTRIBUTES, SyntheticFaces
    from art_initiative.training.stargan import load_stargan

    public, forger = load_stargan(args.public, args.device), load_stargan(args.forger, args.device)
    if tuple(public.input_shape) != tuple(forger.input_shape):
        parser.error(f"--public takes {tuple(public.input_shape)} images, --forger {tuple(forger.input_shape)}")
    defence = InitiativeDefense.load(args.defence, public, verbose=False)
    eps, size = defence.eps, public.input_shape[1]
    x, labels = SyntheticFaces(args.n_faces, size, seed=args.seed, attributes=ALL_ATTRIBUTES).arrays()
    own = labels[:, [ALL_ATTRIBUTES.index(a) for a in DOMAIN_SETTINGS["SD"]]]
    domains = target_domains(own, DOMAIN_SETTINGS["SD"])

    def pgd(steps: int, step: float) -> Callable[[], np.ndarray]:
        return lambda: RuizDisruption(public, method="pgd", eps=eps, eps_step=step, max_iter=steps,
                                      class_mode="joint", batch_size=128, verbose=False).generate(x, conditions=domains)

    def partial(m: int) -> str:  # the "start" of the rows refined with m requests per step (table and figure)
        return f"from PG's output, {m} of 5 requests per step"

    runs: list[tuple[str, str, int, Callable[[], np.ndarray]]] = []
    for k in sorted(set(args.steps)):
        runs.append(("from PG's output", f"initiative + {k} steps" if k else "initiative", k,
                     lambda k=k: defence.generate(x, y=own, refine_steps=k)))
        for m in sorted(set(args.requests_per_step)) if k else ():
            runs.append((partial(m), f"initiative + {k} steps, {m}/5 per step",
                         k, lambda k=k, m=m: defence.generate(x, y=own, refine_steps=k, refine_requests=m)))
        if k:
            runs.append(("from a random point", f"PGD-{k} (step eps/{k})", k, pgd(k, eps / k)))
    runs += [("baseline", "ruiz_pgd (PGD-10, step 0.01)", 10, pgd(10, min(0.01, eps))),
             ("control", "sign_noise", 0, lambda: sign_noise(x, eps, 0))]
    defence.generate(x[:4], y=own[:4], refine_steps=1)  # warm-up, so that the first timing is not the slowest
    rows = []
    for start, label, k, make in runs:
        began = time.perf_counter()
        protected = make()
        seconds = time.perf_counter() - began
        scores = pair_scores(forger, x, protected, domains, THRESHOLDS)
        rows.append({"method": label, "start": start, "steps": k, **scores,
                     "ms_per_image": 1000 * seconds / len(x), "linf": float(np.abs(protected - x).max())})
        print(f"{label}: forger MSE {scores['mse']:.4f}, DSR {100 * scores['dsr_0.05']:.1f}%, "
              f"{1000 * seconds / len(x):.1f} ms per face", flush=True)

    command = "python benchmarks/refine_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"rows": rows, "faces": args.n_faces, "seed": args.seed, "image_size": size, "eps": eps,
                   "defence": defence.best, "command": command}, fh, indent=1)
    lines = [f"# A learned protection refined by k gradient steps on the public model ({size} px, eps {eps:g})", "",
             f"{args.n_faces} fresh synthetic faces (seed {args.seed}, not the harness's test split) x the five SD "
             "domains, scored on the forger's fine-tuned copy of the public model. DSR at MSE > 0.05 / 0.02 / 0.01. "
             "Steps of size eps / k; `ms` per face on this machine, one run after another.", "",
             "| protection | start | k | DSR | MSE | ms per face |", "|---|---|---|---|---|---|"]
    for r in rows:
        dsr = " / ".join(f"{100 * r[f'dsr_{t:g}']:.0f}%" for t in THRESHOLDS)
        lines.append(f"| {r['method']} | {r['start']} | {r['steps']} | {dsr} | {r['mse']:.4f} | "
                     f"{r['ms_per_image']:.1f} |")
    lines += ["", f"Command: `{command}`"]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    lines_of = {"PG + k steps": ("o-", ("from PG's output",)),
                **{f"PG + k steps, {m} of 5 requests per step": ("^-", (partial(m),))
                   for m in sorted(set(args.requests_per_step))},
                "PGD-k (random start; k=0: sign noise)": ("s--", ("from a random point", "control"))}
    for label, (style, starts) in lines_of.items():
        pts = sorted((r for r in rows if r["start"] in starts), key=lambda r: r["ms_per_image"])
        ax.plot([max(r["ms_per_image"], 1e-2) for r in pts], [r["mse"] for r in pts], style, label=label)
        for r in pts:
            ax.annotate(str(r["steps"]), (max(r["ms_per_image"], 1e-2), r["mse"]), fontsize=7,
                        textcoords="offset points", xytext=(3, 3))
    base = next(r for r in rows if r["start"] == "baseline")
    ax.plot([base["ms_per_image"]], [base["mse"]], "k*", ms=12, label="Ruiz PGD-10 (the baseline)")
    ax.axhline(0.05, color="grey", ls=":", lw=1, label="the paper's DSR threshold")
    ax.set_xscale("log")
    ax.set(xlabel="ms per face (log)", ylabel="forgery MSE on the forger",
           title=f"Refinement steps on the public model ({size} px, eps {eps:g})")
    ax.legend(fontsize=7)
    save_figure(fig, args.stem + ".png")
    print(f"wrote {args.stem}.json, .md and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
