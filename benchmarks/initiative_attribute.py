"""Gray-box check of the initiative defence for attribute editing, beside the transferred Ruiz baseline.

Three disjoint splits of the synthetic faces: the defender's data (defence and baseline surrogate), the
forger's data (the target model) and held-out test faces. The target has the defence's architecture and
domains but its own weights (gray-box, the paper's Res6* row).

Example (GPU)::

    python benchmarks/initiative_attribute.py --image-size 64 --width 32 --target-iterations 3000 \
        --defence-iterations 1500 --n-jobs 16

Writes ``initiative_attribute-synthetic-<device>-<size>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict

import numpy as np
import torch

from art_initiative.attacks import InitiativeDefense, RuizDisruption
from art_initiative.benchmark.figures import save_grid
from art_initiative.benchmark.reports import write_report
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.metrics import defense_success_rate, mse, psnr
from art_initiative.models.perturbation import protect
from art_initiative.training import train_stargan

VARIANTS = {"initiative": {}, "initiative_no_ats": {"alternating": False}, "initiative_no_tde": {"enhancement": False}}


def score(target, x, x_prot_per_domain, domains):
    y = np.concatenate([target.predict(x, conditions=c) for c in domains])
    y2 = np.concatenate([target.predict(p, conditions=c) for p, c in zip(x_prot_per_domain, domains, strict=True)])
    xs = np.concatenate([x] * len(domains))
    return {"dsr": defense_success_rate(y, y2), "dsr_0.02": defense_success_rate(y, y2, 0.02),
            "dsr_0.01": defense_success_rate(y, y2, 0.01), "mse": float(mse(y, y2).mean()),
            "psnr": float(psnr(xs, np.concatenate(x_prot_per_domain)).mean())}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--n-train", type=int, default=2000, help="images in each of the defender's and forger's splits")
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--target-iterations", type=int, default=2500)
    p.add_argument("--defence-iterations", type=int, help="default: the profile's")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--variants", nargs="+", default=["initiative", "initiative_no_ats"], choices=sorted(VARIANTS))
    p.add_argument("--curve-every", type=int, default=100, help="score the target every this many iterations")
    p.add_argument("--eps", type=float, default=0.05)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    p.add_argument("--output", default="benchmarks/results")
    p.add_argument("--tag", default="", help="appended to the output file names")
    args = p.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    t0 = time.perf_counter()
    faces = SyntheticFaces(2 * args.n_train + args.n_test, args.image_size, seed=0)
    defender, forger, test = faces.split([args.n_train, args.n_train, args.n_test])
    xd, yd = defender.arrays(n_jobs=args.n_jobs)
    xf, yf = forger.arrays(n_jobs=args.n_jobs)
    x, labels = test.arrays(n_jobs=args.n_jobs)
    domains = target_domains(labels, test.attributes)
    recipe = dict(arch="res6", width=args.width, n_critic=2, g_lr=2e-4, d_lr=2e-4, lambda_id=10.0,
                  device_type=args.device, verbose=False)
    report = {"command": "python benchmarks/initiative_attribute.py " + " ".join(argv or sys.argv[1:])}
    partial = os.path.join(args.output, f"initiative_attribute-partial-{args.image_size}.json")

    def checkpoint(phase: str) -> None:
        """Write what is known so far, so that a run cut short still reports its phases."""
        report["phase"] = phase
        report["elapsed_seconds"] = time.perf_counter() - t0
        print(f"[{report['elapsed_seconds']:.0f} s] {phase}", flush=True)
        with open(partial, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=float)

    checkpoint("data rendered")
    t = time.perf_counter()
    target = train_stargan(xf, yf, iterations=args.target_iterations, seed=2, **recipe)
    report["target_seconds"] = time.perf_counter() - t
    checkpoint("target trained")
    t = time.perf_counter()
    surrogate = train_stargan(xd, yd, iterations=args.target_iterations, seed=1, **recipe)  # for the baseline
    report["surrogate_seconds"] = time.perf_counter() - t
    report["device"] = str(surrogate.device) if surrogate.device.type == "cpu" else torch.cuda.get_device_name(0)
    checkpoint("surrogate trained")
    clean_forgeries = np.concatenate([target.predict(x, conditions=c) for c in domains])

    rows, protected_by = [], {}
    for name in args.variants:
        overrides = dict(VARIANTS[name])
        if args.defence_iterations:
            overrides["iterations"] = args.defence_iterations
        # The surrogate is only the architecture template: the defence trains its own SM from fresh weights.
        defence = InitiativeDefense(surrogate, profile=args.profile, eps=args.eps, verbose=False, sm_init="fresh",
                                    **overrides)
        curve, start = [], time.perf_counter()

        def on_iteration(it, losses, defence=defence, curve=curve, start=start):
            if (it + 1) % args.curve_every or "pg" not in losses:
                return
            defence.pg.eval()
            with torch.no_grad():
                xt = torch.from_numpy(x).to(surrogate.device)
                x_prot = protect(defence.pg, xt, args.eps, (-1.0, 1.0)).cpu().numpy()
            defence.pg.train()
            y2 = np.concatenate([target.predict(x_prot, conditions=c) for c in domains])
            curve.append({"iteration": it + 1, "seconds": time.perf_counter() - start,
                          "target_mse": float(mse(clean_forgeries, y2).mean()),
                          "target_dsr_0.01": defense_success_rate(clean_forgeries, y2, 0.01),
                          "own_sm_val_distance": losses.get("val_distance")})

        defence.fit(xd, yd, callback=on_iteration)
        seconds = time.perf_counter() - start
        report[name] = {"config": asdict(defence.config), "train_seconds": seconds, "best": defence.best,
                        "peak_rss_mb": peak_rss_mb(), "curve": curve}
        t = time.perf_counter()
        protected = defence.generate(x)
        gen_seconds = (time.perf_counter() - t) / len(x)
        protected_by[name] = protected
        rows.append({"method": name, **score(target, x, [protected] * len(domains), domains),
                     "seconds_per_image": gen_seconds})
        checkpoint(f"{name} trained ({seconds:.0f} s)")

    ruiz = RuizDisruption(surrogate, method="pgd", eps=args.eps, batch_size=64, verbose=False)
    t = time.perf_counter()
    ruiz_prot = [ruiz.generate(x, conditions=c) for c in domains]
    ruiz_seconds = (time.perf_counter() - t) / (len(x) * len(domains))
    rows.append({"method": "ruiz_pgd (transferred)", **score(target, x, ruiz_prot, domains),
                 "seconds_per_image": ruiz_seconds})
    rows.append({"method": "ruiz_pgd (white-box on its surrogate)", **score(surrogate, x, ruiz_prot, domains),
                 "seconds_per_image": ruiz_seconds})
    rng = np.random.default_rng(0)
    noise = [np.clip(x + args.eps * rng.choice([-1.0, 1.0], x.shape), -1, 1).astype(np.float32) for _ in domains]
    rows.append({"method": "sign_noise", **score(target, x, noise, domains), "seconds_per_image": 0.0})
    report["rows"] = rows
    report["total_seconds"] = time.perf_counter() - t0
    checkpoint("done")
    tag = "cpu" if report["device"] == "cpu" else "gpu"
    stem = os.path.join(args.output, f"initiative_attribute-synthetic-{tag}-{args.image_size}{args.tag}")
    first = next(iter(protected_by.values()))
    c = domains[3]  # Male flipped: a domain every target learns
    save_grid([x[:8], target.predict(x[:8], conditions=c[:8]), first[:8],
               target.predict(first[:8], conditions=c[:8]), ruiz_prot[3][:8],
               target.predict(ruiz_prot[3][:8], conditions=c[:8])], stem + ".png")
    lines = [f"# Initiative defence, gray-box ({report['device']})", "", f"Command: `{report['command']}`", "",
             "| method | DSR >0.05 | DSR >0.02 | DSR >0.01 | MSE | PSNR | s/image |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {100 * r['dsr']:.1f}% | {100 * r['dsr_0.02']:.1f}% | "
                     f"{100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} | {r['psnr']:.1f} dB | "
                     f"{r['seconds_per_image'] * 1e3:.2f} ms |")
    lines += ["", f"Training: target {report['target_seconds']:.0f} s, surrogate {report['surrogate_seconds']:.0f} s."]
    for name in args.variants:
        v = report[name]
        lines.append(f"- {name}: {v['train_seconds']:.0f} s, peak RSS of the process {v['peak_rss_mb']:.0f} MiB, "
                     f"PG_best {v['best']}.")
        lines += [f"  - iteration {c['iteration']} ({c['seconds']:.0f} s): target MSE {c['target_mse']:.4f}, "
                  f"DSR >0.01 {100 * c['target_dsr_0.01']:.1f}%" for c in v["curve"]]
    lines += ["", "Figure (PNG rows): clean faces, their forgery (Male flipped), initiative-protected faces, "
              "their forgery, Ruiz-PGD-protected faces, their forgery."]
    write_report(stem, report, lines)
    return report


if __name__ == "__main__":
    main()
