"""How long the ``cpu`` profile's defence takes to train on this machine, per loss variant.

Times :meth:`InitiativeDefense.fit` (attribute editing, the ``cpu`` profile on a res6 surrogate of width 16, 2000
synthetic faces) per iteration of each phase, from the training callback's stamps after a warm-up of a few
iterations: the surrogate's warm start (``sm_pretrain_iterations``, stage A alone) and the alternating iterations
(stage A, the critic and PG). The profile's whole training is then projected as
``warm_start_s * sm_pretrain_iterations + alternating_s * iterations`` (the periodic validation adds a fraction of a
percent). Variants: the profile as it is, without eq. 6's cycle term (``lambda_cyc=0``: one pass through SM fewer)
and without the cycle term and eq. 12 (``enhancement=False`` as well: no pass through the previous SM). Run it on an
otherwise idle machine::

    python benchmarks/defence_speed.py --stem benchmarks/results/defence_speed-cpu

Writes ``<stem>.json`` and ``<stem>.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any

VARIANTS: dict[str, dict[str, Any]] = {
    "cpu profile (eqs. 6 and 12 in full)": {},
    "no cycle term (lambda_cyc=0)": {"lambda_cyc": 0.0},
    "no cycle term, no eq. 12 (lambda_cyc=0, enhancement=False)": {"lambda_cyc": 0.0, "enhancement": False},
}


def time_phases(x: Any, labels: Any, image_size: int, settings: dict[str, Any], warm: int, alternating: int,
                skip: int) -> tuple[float, float]:
    """Seconds per warm-start iteration and per alternating iteration of one short fit (``skip`` of each untimed)."""
    from art_initiative.attacks import InitiativeDefense
    from art_initiative.estimators import PyTorchImageTranslator

    surrogate = PyTorchImageTranslator.from_architecture("res6", image_size, 16, labels.shape[1], "cpu", seed=0)
    stamps: dict[int, float] = {}
    defence = InitiativeDefense(surrogate, profile="cpu", verbose=False, sm_pretrain_iterations=warm,
                                iterations=alternating, eval_every=10 ** 6, checkpoint_every=10 ** 6, **settings)
    defence.fit(x, labels, callback=lambda it, _losses: stamps.__setitem__(it, time.perf_counter()))
    warm_s = (stamps[warm - 1] - stamps[skip - 1]) / (warm - skip)
    last = warm + alternating - 1
    alt_s = (stamps[last - 1] - stamps[warm + skip - 1]) / (alternating - skip - 1)  # the last one evaluates PG
    return warm_s, alt_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stem", required=True, help="output path without extension")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--n-faces", type=int, default=2000)
    parser.add_argument("--warm-iterations", type=int, default=40, help="timed warm-start iterations (+ skip)")
    parser.add_argument("--alternating-iterations", type=int, default=25, help="timed alternating iterations (+ skip)")
    parser.add_argument("--skip", type=int, default=5, help="untimed first iterations of each phase")
    parser.add_argument("--variants", nargs="+", choices=range(len(VARIANTS)), type=int,
                        default=list(range(len(VARIANTS))), help="indices into VARIANTS")
    args = parser.parse_args(argv)
    if args.skip < 1 or args.warm_iterations < 1 or args.alternating_iterations < 2:
        parser.error("--skip and --warm-iterations must be >= 1, --alternating-iterations >= 2")

    import torch

    from art_initiative.attacks.initiative.config import make_config
    from art_initiative.data import SyntheticFaces
    from art_initiative.data.synthetic import PAPER_ATTRIBUTES

    profile = make_config("cpu")
    x, labels = SyntheticFaces(args.n_faces, args.image_size, seed=0, attributes=PAPER_ATTRIBUTES).arrays()
    warm, alternating = args.warm_iterations + args.skip, args.alternating_iterations + args.skip + 1
    # an untimed fit first: the process's first fit runs slower (its warm start a third slower at 64 px), whatever
    # the variant
    time_phases(x, labels, args.image_size, {}, args.skip + 1, args.skip + 2, args.skip)
    rows = []
    for index in args.variants:
        name, settings = list(VARIANTS.items())[index]
        warm_s, alt_s = time_phases(x, labels, args.image_size, settings, warm, alternating, args.skip)
        total = warm_s * profile.sm_pretrain_iterations + alt_s * profile.iterations
        rows.append({"variant": name, "settings": settings, "warm_start_s_per_iteration": warm_s,
                     "alternating_s_per_iteration": alt_s, "projected_training_s": total})
        print(f"{name}: warm start {warm_s:.3f} s/it, alternating {alt_s:.3f} s/it, the profile's "
              f"{profile.sm_pretrain_iterations} + {profile.iterations} iterations: {total / 60:.1f} min", flush=True)
    command = "python benchmarks/defence_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    meta = {"image_size": args.image_size, "pg_width": profile.pg_width, "surrogate": "res6, width 16",
            "sm_pretrain_iterations": profile.sm_pretrain_iterations, "iterations": profile.iterations,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "machine": platform.machine(),
            "command": command}
    with open(args.stem + ".json", "w", encoding="utf-8") as fh:
        json.dump({"rows": rows, **meta}, fh, indent=1)
    lines = [f"# Training time of the `cpu` profile's defence ({args.image_size} px, {meta['threads']} threads)", "",
             f"InitiativeDefense(profile='cpu') on a res6 surrogate of width 16 (PG width {profile.pg_width}), "
             f"{args.n_faces} synthetic faces; seconds per iteration after {args.skip} untimed ones, and the "
             f"profile's {profile.sm_pretrain_iterations} warm-start + {profile.iterations} alternating iterations "
             "projected from them.", "",
             "| variant | warm start, s/it | alternating, s/it | projected training |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['warm_start_s_per_iteration']:.3f} | "
                     f"{r['alternating_s_per_iteration']:.3f} | {r['projected_training_s'] / 60:.1f} min |")
    lines += ["", f"Command: `{command}`"]
    with open(args.stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
