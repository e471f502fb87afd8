"""Where a protection loses its effect in the public-model scenario: on the model it was computed on, or on the way
to the forger who fine-tuned that model.

Each protection is applied to the same faces and scored twice: on the public model (the one the defence's SM and the
Ruiz baseline start from) and on the forger's fine-tuned copy of it (the harness's gray-box target). ``retention``
is the forger's forgery MSE over the public model's: below 1 the effect fades with the fine-tuning, above 1 it grows.
A protection that is weak on the public model itself needs more strength (capacity, iterations); one that is strong
there but fades needs transfer. Rows: each ``--defence`` (an :meth:`InitiativeDefense.save` file) as trained and
saturated (and with ``--refine-steps K`` followed by K gradient steps on the public model, ``initiative_refined``;
on the public model and the defence's surrogates when ``--defence-surrogates LABEL=PATH[+PATH...]`` gives the models
an ensemble PG was trained against),
Ruiz PGD-10 on the public model, white-box PGD-10 on the forger (the ceiling), sign noise, and each ``--pgd-on
LABEL=PATH[+PATH...]``: PGD-10 computed on other models the defender has (several: their summed loss,
``RuizDisruption(surrogates=...)``; ``--pgd-on-budget STEPS:STEP`` adds each at another budget), and each
``--ruiz-budget STEPS:STEP``: the baseline on the public model with another number of steps and step size than Ruiz
et al.'s 10 of 0.01 (how much of its lead is its settings).

``--forger LABEL=PATH`` repeated scores every row on several forgers (for example fine-tuned for 500, 2000 and 8000
iterations, and one trained from scratch): the paper's claim is that a PG trained against a surrogate that keeps
changing still disrupts a model that has drifted away from the public one, where a per-image attack fades. Each
forger then has its own white-box row, and the PNG is a curve through the models in the order given.

The faces are fresh synthetic draws (``--seed``, not the harness's seed 0), so the harness's test split is never
used to choose a lever::

    .venv/bin/python benchmarks/strength_transfer.py --stem benchmarks/results/strength_transfer-synthetic-cpu-64 \\
        --public CACHE/stargan-res6-...-s1-...-it5000.pt --forger CACHE/stargan-res6-...-ft...-it2500.pt \\
        --defence pg2500=CACHE/initiative-cpu-eps0.05-...-public.pt

Writes ``<stem>.json``, ``<stem>.md`` and ``<stem>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

THRESHOLDS = (0.05, 0.02, 0.01)
RUIZ_ROW = "ruiz_pgd (on the public model)"  # the baseline's row: Ruiz et al.'s PGD-10 on the public model


def whitebox_row(label: str, n_forgers: int) -> str:
    """The row of white-box PGD on the forger ``label`` when ``n_forgers`` are scored (one: ``the forger``)."""
    return f"whitebox_pgd (on {'the forger' if n_forgers == 1 else label})"


def labelled(specs: list[str], flag: str, form: str, several: bool = False, default: str | None = None
             ) -> list[tuple[str, str]]:
    """``["a=x.pt", ...]`` -> ``[("a", "x.pt"), ...]``; a spec without ``=`` is labelled ``default`` when one is
    given. ``several``: the path part is ``PATH+PATH...``. Raises ``ValueError`` naming ``flag`` and ``form``."""
    out = []
    for spec in specs:
        label, sep, path = spec.partition("=")
        if not sep and default is not None:
            label, path = default, spec
        if not label or not path or (several and "" in path.split("+")):
            raise ValueError(f"{flag} must be {form}, got {spec!r}")
        out.append((label, path))
    return out


def pgd_budget(spec: str, flag: str) -> tuple[int, float]:
    """``"STEPS:STEP"`` -> ``(STEPS, STEP)``: a number of PGD iterations >= 1 and a step size > 0. Raises
    ``ValueError`` naming ``flag``."""
    steps, sep, step = spec.partition(":")
    try:
        out = (int(steps), float(step))
    except ValueError:
        out = None
    if not sep or out is None or out[0] < 1 or not out[1] > 0:
        raise ValueError(f"{flag} must be STEPS:STEP (an int >= 1 and a step size > 0), got {spec!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--public", required=True, help="train_stargan checkpoint of the public model")
    parser.add_argument("--forger", required=True, action="append", metavar="[LABEL=]PATH",
                        help="train_stargan checkpoint the forger fine-tuned from it (repeatable with labels, for "
                        "example one per fine-tuning length: the rows are then scored on every forger and the PNG "
                        "is a curve from the public model through the forgers in the order given)")
    parser.add_argument("--defence", action="append", default=[], metavar="LABEL=PATH",
                        help="a saved InitiativeDefense trained on the public model (repeatable)")
    parser.add_argument("--defence-surrogates", action="append", default=[], metavar="LABEL=PATH[+PATH...]",
                        help="the further models (train_stargan checkpoints) the --defence LABEL was trained against "
                        "(InitiativeDefense(surrogates=...)); its refined row then steps on them as well")
    parser.add_argument("--pgd-on", action="append", default=[], metavar="LABEL=PATH[+PATH...]",
                        help="a row of PGD-10 computed on this train_stargan checkpoint, or on the summed loss of "
                        "several (an ensemble: for example the defender's own fine-tunings of the public model, "
                        "drift_forgers.py --on defender); repeatable")
    parser.add_argument("--ruiz-budget", action="append", default=[], metavar="STEPS:STEP",
                        help="also Ruiz PGD on the public model with STEPS iterations of size STEP (Ruiz et al.'s: "
                        "10:0.01, the ruiz_pgd row), for example 10:0.02 or 3:0.02; repeatable")
    parser.add_argument("--pgd-on-budget", action="append", default=[], metavar="STEPS:STEP",
                        help="also each --pgd-on row at this budget (its own row is 10 steps of 0.01); repeatable")
    parser.add_argument("--refine-steps", type=int, default=0, metavar="K",
                        help="also each --defence followed by K signed-gradient steps on the public model from its "
                        "output (initiative_refined, not the paper's; the harness's default is 2)")
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--n-faces", type=int, default=100)
    parser.add_argument("--seed", type=int, default=123, help="seed of the fresh faces (the harness uses 0)")
    parser.add_argument("--eps", type=float, default=0.05)
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--note", default="", help="a sentence for the Markdown (for example what the faces are: "
                        "--seed 0 draws the first faces of the harness's defender split, the PG's own)")
    args = parser.parse_args(argv)
    try:
        defences = labelled(args.defence, "--defence", "LABEL=PATH")
        defence_surrogates = {label: paths.split("+") for label, paths in labelled(
            args.defence_surrogates, "--defence-surrogates", "LABEL=PATH[+PATH...]", several=True)}
        pgd_specs = [(label, paths.split("+")) for label, paths in
                     labelled(args.pgd_on, "--pgd-on", "LABEL=PATH[+PATH...]", several=True)]
        forger_specs = labelled(args.forger, "--forger", "PATH, or LABEL=PATH (several: LABEL=PATH each)",
                                default="forger" if len(args.forger) == 1 else None)
        budgets = [pgd_budget(spec, "--ruiz-budget") for spec in args.ruiz_budget]
        on_budgets = [pgd_budget(spec, "--pgd-on-budget") for spec in args.pgd_on_budget]
    except ValueError as err:
        parser.error(str(err))
    if args.refine_steps < 0:
        parser.error(f"--refine-steps must be >= 0, got {args.refine_steps}")
    unknown = sorted(set(defence_surrogates) - {label for label, _ in defences})
    if unknown:
        parser.error(f"--defence-surrogates must name a --defence label, got {unknown}")
    if len({label for label, _ in forger_specs}) < len(forger_specs):
        parser.error(f"--forger labels must differ, got {[label for label, _ in forger_specs]}")

    from art_initiative.attacks import InitiativeDefense, RuizDisruption
    from art_initiative.benchmark.attribute import DOMAIN_SETTINGS
    from art_initiative.benchmark.common import pair_scores, sign_noise
    from art_initiative.data.domains import target_domains
    from art_initiative.data.synthetic import ALL_ATTRIBUTES, SyntheticFaces
    from art_initiative.training.stargan import load_stargan

    public = load_stargan(args.public, args.device)
    forgers = {label: load_stargan(path, args.device) for label, path in forger_specs}
    for label, forger in forgers.items():
        if tuple(public.input_shape) != tuple(forger.input_shape):
            parser.error(f"--public takes {tuple(public.input_shape)} images, --forger {label} "
                         f"{tuple(forger.input_shape)}")
    size = public.input_shape[1]
    x, labels = SyntheticFaces(args.n_faces, size, seed=args.seed, attributes=ALL_ATTRIBUTES).arrays()
    columns = [ALL_ATTRIBUTES.index(a) for a in DOMAIN_SETTINGS["SD"]]
    domains = target_domains(labels[:, columns], DOMAIN_SETTINGS["SD"])

    from art_initiative.metrics import clean_edit_distance

    # How far each forger's own edits of the clean faces are from the public model's (MSE per (face, domain) pair):
    # a fine-tuned model stays near the function it started from, an independently trained one need not.
    clean = np.concatenate([public.predict(x, conditions=c) for c in domains])
    distance = {label: clean_edit_distance(clean, m, x, domains) for label, m in forgers.items()}

    def pgd(model, steps: int = 10, step: float | None = None) -> np.ndarray:
        models = model if isinstance(model, list) else [model]  # several: an ensemble, their summed loss
        return RuizDisruption(models[0], method="pgd", eps=args.eps, eps_step=min(0.01, args.eps) if step is None
                              else step, max_iter=steps, class_mode="joint", surrogates=models[1:], batch_size=128,
                              verbose=False).generate(x, conditions=domains)

    protections = []
    for label, path in defences:
        defence = InitiativeDefense.load(path, public, verbose=False, surrogates=[
            load_stargan(p, args.device) for p in defence_surrogates.get(label, [])])
        protections += [(label, lambda d=defence: d.generate(x, eps=args.eps)),
                        (f"{label} saturated", lambda d=defence: d.generate(x, eps=args.eps, saturate=True))]
        if args.refine_steps:
            protections.append((f"{label} refined {args.refine_steps}",
                                lambda d=defence: d.generate(x, y=labels[:, columns], eps=args.eps,
                                                             refine_steps=args.refine_steps)))
    protections.append((RUIZ_ROW, lambda: pgd(public)))
    protections += [(f"ruiz_pgd-{steps} step {step:g} (on the public model)",
                     lambda k=steps, a=step: pgd(public, k, a)) for steps, step in budgets]
    for label, paths in pgd_specs:
        models = [load_stargan(path, args.device) for path in paths]
        for path, m in zip(paths, models, strict=True):
            if tuple(m.input_shape) != tuple(public.input_shape):
                parser.error(f"--pgd-on {label}: {path} takes {tuple(m.input_shape)} images, --public "
                             f"{tuple(public.input_shape)}")
        protections.append((f"pgd (on {label})", lambda ms=models: pgd(ms)))
        protections += [(f"pgd-{steps} step {step:g} (on {label})", lambda ms=models, k=steps, a=step: pgd(ms, k, a))
                        for steps, step in on_budgets]
    protections += [(whitebox_row(label, len(forgers)), lambda m=forger: pgd(m)) for label, forger in forgers.items()]
    protections.append(("sign_noise", lambda: sign_noise(x, args.eps, 0)))
    rows = []
    for label, make in protections:
        start = time.perf_counter()
        protected = make()
        seconds = time.perf_counter() - start
        on_public = pair_scores(public, x, protected, domains, THRESHOLDS)
        on_forgers = {name: pair_scores(m, x, protected, domains, THRESHOLDS) for name, m in forgers.items()}
        first = next(iter(on_forgers.values()))
        rows.append({"method": label, "public": on_public, "forger": first, "forgers": on_forgers,
                     "retention": first["mse"] / max(on_public["mse"], 1e-12),
                     "linf_used": float(np.abs(protected - x).mean() / args.eps), "seconds": seconds})
        print(f"{label}: public MSE {on_public['mse']:.4f}, " +
              ", ".join(f"{name} MSE {v['mse']:.4f}" for name, v in on_forgers.items()), flush=True)

    command = "python benchmarks/strength_transfer.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"rows": rows, "forgers": {label: path for label, path in forger_specs},
                   "clean_distance": distance, "faces": args.n_faces,
                   "seed": args.seed, "image_size": size, "eps": args.eps, "note": args.note, "command": command},
                  fh, indent=1)

    def cells(s: dict[str, float]) -> str:
        return " / ".join(f"{100 * s[f'dsr_{t:g}']:.0f}%" for t in THRESHOLDS) + f" | {s['mse']:.4f}"

    faces = "the harness's own faces: the first of its defender split" if args.seed == 0 else \
        "fresh synthetic faces, not the harness's test split"
    lines = [f"# Strength on the public model against transfer to the fine-tuned forger ({size} px, eps {args.eps:g})",
             "", f"{args.n_faces} {faces} (seed {args.seed}) x the five SD domains. DSR at MSE > 0.05 / 0.02 / "
             "0.01. `retention`: forger MSE / public MSE. `budget used`: mean |x' - x| / eps.",
             *(["", args.note] if args.note else []), "",
             "The clean faces' forgeries of each forger against the public model's (MSE per face and domain: how far "
             "its edits are from the public model's): " +
             ", ".join(f"`{label}` {d:.4f}" for label, d in distance.items()) + "."]
    if len(forgers) == 1:
        lines += ["", "| method | public: DSR | public: MSE | forger: DSR | forger: MSE | retention | budget used |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['method']} | {cells(r['public'])} | {cells(r['forger'])} | {r['retention']:.2f} | "
                  f"{r['linf_used']:.2f} |" for r in rows]
    else:
        lines += ["", "Each cell: forgery MSE (DSR at MSE > 0.05). Forgers: " +
                  ", ".join(f"`{label}` = `{os.path.basename(path)}`" for label, path in forger_specs) + ".",
                  "", "| method | public | " + " | ".join(forgers) + " | budget used |",
                  "|---|---|" + "---|" * len(forgers) + "---|"]
        lines += [f"| {r['method']} | " + " | ".join(f"{s['mse']:.4f} ({100 * s['dsr_0.05']:.0f}%)"
                                                      for s in (r["public"], *r["forgers"].values())) +
                  f" | {r['linf_used']:.2f} |" for r in rows]
    lines += ["", f"Command: `{command}`"]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from art_initiative.benchmark.figures import save_figure

    if len(forgers) == 1:
        fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(rows)), 3.8))
        at = np.arange(len(rows))
        ax.bar(at - 0.2, [r["public"]["mse"] for r in rows], 0.4, label="on the public model")
        ax.bar(at + 0.2, [r["forger"]["mse"] for r in rows], 0.4, label="on the fine-tuned forger")
        ax.axhline(0.05, color="grey", ls="--", lw=1, label="the paper's DSR threshold")
        ax.set_xticks(at, [r["method"].replace(" (", "\n(") for r in rows], fontsize=7)
        ax.set(ylabel="forgery MSE", title=f"Strength against transfer ({size} px, eps {args.eps:g})")
        ax.legend(fontsize=8)
    else:
        fig = drift_figure(rows, list(forgers), size, args.eps)
    save_figure(fig, args.stem + ".png", tight=len(forgers) == 1)
    print(f"wrote {args.stem}.json, .md and .png")
    return 0


def drift_figure(rows: list[dict], forgers: list[str], size: int, eps: float):
    """The curve of several forgers: forgery MSE (log) and DSR at MSE > 0.05 and > 0.02 from the public model
    through ``forgers`` in order, one line per protection as trained (the saturated rows are in the table; per-image
    PGD on other models, ``--pgd-on``, dash-dotted with squares), Ruiz PGD (at other budgets, ``--ruiz-budget``,
    thin and grey), sign noise, and as the ceiling each model's own white-box PGD (Ruiz PGD on the public model)."""
    import matplotlib.pyplot as plt

    names = ["public", *forgers]
    at = np.arange(len(names))
    fig, axes = plt.subplots(1, 3, figsize=(max(13.0, 2.0 * len(names)), 4.6))
    ruiz = next(r for r in rows if r["method"].startswith("ruiz_pgd"))
    ceiling = [ruiz["public"], *(next(r for r in rows if r["method"] == whitebox_row(n, len(forgers)))["forgers"][n]
                                 for n in forgers)]
    palette = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]  # tab10 without its grey
    budgets = [r for r in rows if r is not ruiz and r["method"].startswith("ruiz_pgd")]
    learned = [r for r in rows if r is not ruiz and r not in budgets and r["method"] != "sign_noise"
               and not r["method"].startswith("whitebox_pgd") and not r["method"].endswith("saturated")]
    shown = [(r, {"color": palette[i % len(palette)], "ls": "-" if i < len(palette) else "--",
                  **({"ls": "-.", "marker": "s"} if r["method"].startswith("pgd") else {})})
             for i, r in enumerate(learned)]
    shown += [(ruiz, dict(color="k", lw=2.5))]
    shown += [(r, dict(color="dimgrey", lw=1, ls=(0, (1 + i, 1)), marker="^")) for i, r in enumerate(budgets)]
    shown += [(r, dict(color="silver", ls=":")) for r in rows if r["method"] == "sign_noise"]
    for ax, key, ylabel in ((axes[0], "mse", "forgery MSE"), (axes[1], "dsr_0.05", "DSR (MSE > 0.05)"),
                            (axes[2], "dsr_0.02", "DSR (MSE > 0.02)")):
        for r, style in shown:
            ax.plot(at, [r["public"][key], *(r["forgers"][n][key] for n in forgers)], label=r["method"],
                    **{"marker": "o", **style})
        ax.plot(at, [c[key] for c in ceiling], "k--", marker="x", label="white-box PGD on each model (ceiling)")
        ax.set_xticks(at, names, fontsize=8)
        ax.set(ylabel=ylabel, xlabel="the model scored")
    axes[0].axhline(0.05, color="grey", ls=":", lw=1)
    axes[0].set_yscale("log")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=5)
    fig.subplots_adjust(bottom=0.3, wspace=0.3, left=0.06, right=0.98)
    fig.suptitle(f"Strength against the forger's drift ({size} px, eps {eps:g})")
    return fig


if __name__ == "__main__":
    raise SystemExit(main())
