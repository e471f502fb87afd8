"""Benchmark of the Ruiz et al. baseline: white-box disruption of a trained StarGAN-like target, and the speed
of every disruption method (RuizDisruption, ART's BIM/PGD through the helper, torchattacks) per image.

Examples::

    # CPU: speed at 64 and 128 pixels only
    python benchmarks/ruiz_baseline.py --timing-only --timing-sizes 64 128 --output benchmarks/results
    # GPU: train a paper-scale target (128 px, width 64) for 4 minutes, attack it, time everything
    python benchmarks/ruiz_baseline.py --image-size 128 --width 64 --train-seconds 240 --n-jobs 16

Writes ``ruiz_baseline-synthetic-<device>-<size>.json`` and ``.md`` (and a PNG grid when a target is trained).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch
from art.attacks.evasion import BasicIterativeMethod, ProjectedGradientDescent

from art_initiative.attacks import RuizDisruption, generate_with_art, jittered_reference
from art_initiative.benchmark.figures import save_grid
from art_initiative.benchmark.reports import write_report
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import defense_success_rate, mse, psnr
from art_initiative.metrics.translation import translation_errors
from art_initiative.training import load_stargan, train_stargan


def train_target(args, x, y, ckpt):
    """Train for ``--iterations``, or for about ``--train-seconds`` (speed measured on the first 50 iterations)."""
    kw = dict(arch="res6", width=args.width, batch_size=16, g_lr=2e-4, d_lr=2e-4, n_critic=2, lambda_id=10.0,
              device_type=args.device, checkpoint_path=ckpt, checkpoint_every=500, verbose=False)
    if args.iterations:
        train_stargan(x, y, iterations=args.iterations, **kw)
        return args.iterations
    t = time.perf_counter()
    train_stargan(x, y, iterations=50, **kw)
    per_it = (time.perf_counter() - t) / 50
    total = max(100, int(args.train_seconds / per_it))
    train_stargan(x, y, iterations=total, **kw)
    return total


def white_box(G, x, labels, attributes, eps, seed=0):
    """Per (image, target class) pair, as the baseline evaluates: one protection per class."""
    domains = target_domains(labels, attributes)
    clean = [G.predict(x, conditions=c) for c in domains]
    rows = []
    rng = np.random.default_rng(seed)
    for method in ("fgsm", "ifgsm", "pgd", "sign_noise"):
        start = time.perf_counter()
        if method == "sign_noise":
            prot = [np.clip(x + eps * rng.choice([-1.0, 1.0], x.shape), -1, 1).astype(np.float32) for _ in domains]
        else:
            attack = RuizDisruption(G, method=method, eps=eps, batch_size=64, verbose=False, random_seed=seed)
            prot = [attack.generate(x, conditions=c) for c in domains]
        seconds = (time.perf_counter() - start) / (len(x) * len(domains))
        inf = [G.predict(p, conditions=c) for p, c in zip(prot, domains, strict=True)]
        y0, y1 = np.concatenate(clean), np.concatenate(inf)
        rows.append({
            "method": f"ruiz_{method}" if method != "sign_noise" else method, "eps": eps, "n_pairs": len(y0),
            "dsr": defense_success_rate(y0, y1, 0.05), "dsr_0.02": defense_success_rate(y0, y1, 0.02),
            "dsr_0.01": defense_success_rate(y0, y1, 0.01), "mse": float(mse(y0, y1).mean()),
            "psnr": float(np.mean(psnr(np.tile(x, (len(domains), 1, 1, 1)), np.concatenate(prot)))),
            "seconds_per_image_per_class": seconds,
        })
    return rows, clean, prot


def timings(size, width, device_type, n, repeats):
    """Seconds per image of each method on one target class (median of ``repeats`` runs, same process)."""
    G = PyTorchImageTranslator.from_architecture("res6", size, width, 5, device_type, seed=0)
    x = SyntheticFaces(n, size, seed=99).arrays()[0]
    c = np.array([0, 1, 0, 1, 1], np.float32)
    methods = {
        "ruiz_fgsm": lambda: RuizDisruption(G, method="fgsm", batch_size=n, verbose=False).generate(x, conditions=c),
        "ruiz_ifgsm": lambda: RuizDisruption(G, method="ifgsm", batch_size=n, verbose=False).generate(x, conditions=c),
        "ruiz_pgd": lambda: RuizDisruption(G, method="pgd", batch_size=n, verbose=False).generate(x, conditions=c),
        "art_bim": lambda: generate_with_art(BasicIterativeMethod(G, eps=0.05, eps_step=0.01, max_iter=10,
                                                                  batch_size=n, verbose=False), x, conditions=c),
        "art_pgd": lambda: generate_with_art(ProjectedGradientDescent(G, eps=0.05, eps_step=0.01, max_iter=10,
                                                                      batch_size=n, verbose=False), x, conditions=c),
    }
    try:
        import torchattacks

        from art_initiative.attacks.torchattacks_compat import DisruptionLogits, TorchattacksDisruption

        def stock():
            pgd = torchattacks.PGD(DisruptionLogits(G, jittered_reference(G, x, c), c), eps=0.025, alpha=0.005,
                                   steps=10, random_start=False)
            pgd.set_normalization_used(mean=[0.5] * 3, std=[0.5] * 3)
            return pgd(torch.as_tensor(x), torch.zeros(n, dtype=torch.long))

        methods["torchattacks_compat"] = lambda: TorchattacksDisruption(G, conditions=c)(torch.as_tensor(x))
        methods["torchattacks_pgd"] = stock
    except ImportError:
        pass
    out = {}
    for name, run in methods.items():
        run()  # warm-up
        times = []
        for _ in range(repeats):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            t = time.perf_counter()
            run()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times.append((time.perf_counter() - t) / n)
        out[name] = statistics.median(times)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--n-train", type=int, default=4000)
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--iterations", type=int, default=0, help="fixed iterations (0: use --train-seconds)")
    p.add_argument("--train-seconds", type=float, default=240)
    p.add_argument("--target", help="load this train_stargan checkpoint instead of training")
    p.add_argument("--eps", type=float, default=0.05)
    p.add_argument("--timing-only", action="store_true")
    p.add_argument("--timing-sizes", type=int, nargs="*", default=[64, 128])
    p.add_argument("--timing-images", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    p.add_argument("--output", default="benchmarks/results")
    args = p.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    device = torch.cuda.get_device_name(0) if args.device == "gpu" and torch.cuda.is_available() else (
        f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)")
    report = {"device": device, "torch": torch.__version__, "command": "python benchmarks/ruiz_baseline.py "
              + " ".join(argv if argv is not None else __import__("sys").argv[1:])}
    t0 = time.perf_counter()
    if not args.timing_only:
        faces = SyntheticFaces(args.n_train + args.n_test, args.image_size, seed=0)
        train, test = faces.split([args.n_train, args.n_test])
        ckpt = args.target or os.path.join(args.output, f"target-res6-{args.image_size}-w{args.width}.pt")
        if not args.target:
            x_tr, y_tr = train.arrays(n_jobs=args.n_jobs)
            t = time.perf_counter()
            report["target_iterations"] = train_target(args, x_tr, y_tr, ckpt)
            report["target_train_seconds"] = time.perf_counter() - t
        G = load_stargan(ckpt, device_type=args.device)
        x, labels = test.arrays(n_jobs=args.n_jobs)
        report["target"] = {"arch": "res6", "image_size": args.image_size, "width": args.width}
        report["translation_check"] = translation_errors(G, test, x, labels)
        rows, clean, prot = white_box(G, x, labels, test.attributes, args.eps)
        report["white_box"] = rows
        k = min(8, len(x))
        save_grid([x[:k], clean[0][:k], prot[0][:k], G.predict(prot[0][:k], conditions=target_domains(
            labels, test.attributes)[0][:k])], os.path.join(args.output, f"ruiz_baseline-{args.image_size}.png"))
    report["timing_seconds_per_image"] = {
        str(s): timings(s, args.width, args.device, args.timing_images, args.repeats) for s in args.timing_sizes}
    report["total_seconds"] = time.perf_counter() - t0
    tag = "gpu" if "cpu" not in device else "cpu"
    stem = os.path.join(args.output, f"ruiz_baseline-synthetic-{tag}-{args.image_size}")
    lines = [f"# Ruiz baseline ({device})", "", f"Command: `{report['command']}`", ""]
    if "white_box" in report:
        lines += [f"White-box on a trained res6 target ({args.image_size} px, width {args.width}, "
                  f"{report.get('target_iterations', '?')} iterations), eps {args.eps}, every (image, class) pair:",
                  "", "| method | DSR >0.05 | DSR >0.02 | DSR >0.01 | MSE | PSNR | s/image/class |",
                  "|---|---|---|---|---|---|---|"]
        for r in report["white_box"]:
            lines.append(f"| {r['method']} | {100 * r['dsr']:.1f}% | {100 * r['dsr_0.02']:.1f}% | "
                         f"{100 * r['dsr_0.01']:.1f}% | {r['mse']:.4f} | {r['psnr']:.1f} dB | "
                         f"{r['seconds_per_image_per_class'] * 1e3:.2f} ms |")
        lines.append("")
    if args.timing_sizes:
        lines += ["Seconds per image, one target class, res6 of the same width:", "",
                  "| method | " + " | ".join(f"{s} px" for s in args.timing_sizes) + " |",
                  "|---|" + "---|" * len(args.timing_sizes)]
    names = next(iter(report["timing_seconds_per_image"].values())).keys() if args.timing_sizes else []
    for name in names:
        lines.append(f"| {name} | " + " | ".join(
            f"{report['timing_seconds_per_image'][str(s)][name] * 1e3:.2f} ms" for s in args.timing_sizes) + " |")
    write_report(stem, report, lines)
    return report


if __name__ == "__main__":
    main()
