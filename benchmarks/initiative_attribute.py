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
import time

import numpy as np
import torch

from art_initiative.attacks import InitiativeDefense, RuizDisruption
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.metrics import defense_success_rate, mse, psnr
from art_initiative.training import train_stargan


def score(target, x, x_prot_per_domain, domains):
    y = np.concatenate([target.predict(x, conditions=c) for c in domains])
    y2 = np.concatenate([target.predict(p, conditions=c) for p, c in zip(x_prot_per_domain, domains, strict=True)])
    xs = np.concatenate([x] * len(domains))
    return {"dsr": defense_success_rate(y, y2), "dsr_0.02": defense_success_rate(y, y2, 0.02),
            "dsr_0.01": defense_success_rate(y, y2, 0.01), "mse": float(mse(y, y2).mean()),
            "psnr": float(psnr(xs, np.concatenate(x_prot_per_domain)).mean())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--n-train", type=int, default=2000, help="images in each of the defender's and forger's splits")
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--target-iterations", type=int, default=2500)
    p.add_argument("--defence-iterations", type=int, default=1500)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--pg-lr", type=float)
    p.add_argument("--pg-width", type=int)
    p.add_argument("--eps", type=float, default=0.05)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    p.add_argument("--output", default="benchmarks/results")
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
    report = {"command": "python benchmarks/initiative_attribute.py " + " ".join(argv or __import__("sys").argv[1:])}
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
    checkpoint("surrogate trained")

    overrides = {k: v for k, v in dict(pg_lr=args.pg_lr, pg_width=args.pg_width).items() if v is not None}
    defence = InitiativeDefense(surrogate, profile=args.profile, eps=args.eps, iterations=args.defence_iterations,
                                verbose=False, **overrides)
    t = time.perf_counter()
    defence.fit(xd, yd)
    report["defence_seconds"] = time.perf_counter() - t
    report["defence_best"] = defence.best
    report["defence_curve"] = [{k: h[k] for k in ("iteration", "val_distance")} for h in defence.history
                               if "val_distance" in h]
    report["device"] = str(surrogate.device) if surrogate.device.type == "cpu" else torch.cuda.get_device_name(0)
    checkpoint("defence trained")

    rows = []
    t = time.perf_counter()
    protected = defence.generate(x)
    gen_seconds = (time.perf_counter() - t) / len(x)
    rows.append({"method": "initiative", **score(target, x, [protected] * len(domains), domains),
                 "seconds_per_image": gen_seconds})
    rows.append({"method": "initiative (on the baseline's surrogate)",
                 **score(surrogate, x, [protected] * len(domains), domains), "seconds_per_image": gen_seconds})
    ruiz = RuizDisruption(surrogate, method="pgd", eps=args.eps, batch_size=64, verbose=False)
    t = time.perf_counter()
    ruiz_prot = [ruiz.generate(x, conditions=c) for c in domains]
    ruiz_seconds = (time.perf_counter() - t) / (len(x) * len(domains))
    rows.append({"method": "ruiz_pgd (transferred)", **score(target, x, ruiz_prot, domains),
                 "seconds_per_image": ruiz_seconds})
    rows.append({"method": "ruiz_pgd (white-box on surrogate)", **score(surrogate, x, ruiz_prot, domains),
                 "seconds_per_image": ruiz_seconds})
    rng = np.random.default_rng(0)
    noise = [np.clip(x + args.eps * rng.choice([-1.0, 1.0], x.shape), -1, 1).astype(np.float32) for _ in domains]
    rows.append({"method": "sign_noise", **score(target, x, noise, domains), "seconds_per_image": 0.0})
    report["rows"] = rows
    report["total_seconds"] = time.perf_counter() - t0
    checkpoint("done")
    tag = "cpu" if report["device"] == "cpu" else "gpu"
    stem = os.path.join(args.output, f"initiative_attribute-synthetic-{tag}-{args.image_size}")
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    lines = [f"# Initiative defence, gray-box ({report['device']})", "", f"Command: `{report['command']}`", "",
             "| method | DSR >0.05 | DSR >0.02 | DSR >0.01 | MSE | PSNR | s/image |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {100 * r['dsr']:.1f}% | {100 * r['dsr_0.02']:.1f}% | "
                     f"{100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} | {r['psnr']:.1f} dB | "
                     f"{r['seconds_per_image'] * 1e3:.2f} ms |")
    lines += ["", f"Training: target {report['target_seconds']:.0f} s, surrogate {report['surrogate_seconds']:.0f} s, "
              f"defence {report['defence_seconds']:.0f} s; best D(y, y') {defence.best}."]
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return report


if __name__ == "__main__":
    main()
