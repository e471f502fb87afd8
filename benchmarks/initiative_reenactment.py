"""The paper's reenactment protocol: forgers trained on the clean and on the poisoned video, compared on
held-out landmarks.

The defender trains ``InitiativeDefenseReenactment`` (surrogate ``unet256``, gray-box) on the victim's frames
and poisons them. For every target architecture of Table 2 the forger's own recipe (``train_pix2pix``, not the
defence's code) trains M on the clean frames, M' on the poisoned frames, and two controls: M_noise on frames with
random sign noise of the same L-inf size, and M_seed on the clean frames with another seed (how far two clean
forgers differ anyway). Scored on sketches of held-out frames (after a gap): DSR = share with L1(M(z), M'(z)) >
0.05, L1, MSE, PSNR of the poisoned frames.

Example (synthetic talking face, 2-core CPU)::

    python benchmarks/initiative_reenactment.py --image-size 32 --frames 600 --device cpu

Writes ``initiative_reenactment-<data>-<device>-<size>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

from art_initiative.attacks import InitiativeDefenseReenactment
from art_initiative.benchmark.reports import write_report
from art_initiative.data import SyntheticTalkingFace, VideoFrames
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import defense_success_rate, l1, mse, psnr
from art_initiative.models import build_model
from art_initiative.training import train_pix2pix

TABLE2 = ("unet256", "cnet", "res6", "res9", "unet128")


def compare(clean_model, other_model, z):
    y, y2 = clean_model.predict(z), other_model.predict(z)
    return {"dsr": defense_success_rate(y, y2, 0.05, metric="l1"), "dsr_0.02": defense_success_rate(y, y2, 0.02,
                                                                                                    metric="l1"),
            "l1": float(l1(y, y2).mean()), "mse": float(mse(y, y2).mean())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--video", help="the victim's video (default: the synthetic talking face)")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--frames", type=int, default=600, help="training frames")
    p.add_argument("--gap", type=int, default=20, help="frames skipped between training and held-out frames")
    p.add_argument("--n-test", type=int, default=100)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--forger-iterations", type=int, default=2000)
    p.add_argument("--forger-batch", type=int, default=4)
    p.add_argument("--defence-iterations", type=int, help="default: the profile's")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--eps", type=float, default=0.02)
    p.add_argument("--targets", nargs="+", default=list(TABLE2), choices=TABLE2)
    p.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    p.add_argument("--output", default="benchmarks/results")
    args = p.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    t0 = time.perf_counter()
    n_all = args.frames + args.gap + args.n_test
    if args.video:
        source, data_name = VideoFrames(args.video, image_size=args.image_size, max_frames=n_all), "video"
    else:
        source, data_name = SyntheticTalkingFace(n_all, args.image_size, seed=0), "synthetic"
    frames, sketches, landmarks = source.arrays()
    if len(frames) < n_all:
        raise ValueError(f"the video gave {len(frames)} frames, {n_all} are needed.")
    x, z, lm = frames[:args.frames], sketches[:args.frames], landmarks[:args.frames]
    z_test = sketches[args.frames + args.gap:n_all]
    report = {"command": "python benchmarks/initiative_reenactment.py " + " ".join(argv or sys.argv[1:]),
              "data": data_name, "eps": args.eps, "n_test": len(z_test)}

    template = PyTorchImageTranslator(build_model("unet256", args.image_size, args.width, 0),
                                      (3, args.image_size, args.image_size), c_dim=0, device_type=args.device)
    overrides = {"eps": args.eps}
    if args.defence_iterations:
        overrides["iterations"] = args.defence_iterations
    defence = InitiativeDefenseReenactment(template, profile=args.profile, verbose=False, **overrides)
    t = time.perf_counter()
    defence.fit(x, z, lm)
    report["defence_seconds"] = time.perf_counter() - t
    report["defence_best"] = defence.best
    poisoned = defence.generate(x)
    rng = np.random.default_rng(0)
    noisy = np.clip(x + args.eps * rng.choice([-1.0, 1.0], x.shape), -1, 1).astype(np.float32)
    report["psnr_poisoned"] = float(psnr(x, poisoned).mean())
    report["psnr_noise"] = float(psnr(x, noisy).mean())
    print(f"[{time.perf_counter() - t0:.0f} s] defence trained", flush=True)

    recipe = dict(width=args.width, iterations=args.forger_iterations, batch_size=args.forger_batch,
                  device_type=args.device, verbose=False)
    rows = []
    for arch in args.targets:
        t = time.perf_counter()
        clean = train_pix2pix(z, x, arch=arch, seed=10, **recipe)
        row = {"target": arch, "poisoned": compare(clean, train_pix2pix(z, poisoned, arch=arch, seed=10, **recipe),
                                                   z_test),
               "noise": compare(clean, train_pix2pix(z, noisy, arch=arch, seed=10, **recipe), z_test),
               "clean_other_seed": compare(clean, train_pix2pix(z, x, arch=arch, seed=11, **recipe), z_test),
               "seconds": time.perf_counter() - t}
        rows.append(row)
        report["rows"] = rows
        print(f"[{time.perf_counter() - t0:.0f} s] {arch}: {json.dumps(row)}", flush=True)
    report["device"] = "cpu" if args.device == "cpu" else torch.cuda.get_device_name(0)
    report["total_seconds"] = time.perf_counter() - t0
    stem = os.path.join(args.output, f"initiative_reenactment-{data_name}-{'cpu' if args.device == 'cpu' else 'gpu'}"
                                     f"-{args.image_size}")
    lines = [f"# Initiative defence, reenactment ({report['device']})", "", f"Command: `{report['command']}`", "",
             f"eps {args.eps}; PSNR of the poisoned frames {report['psnr_poisoned']:.1f} dB (noise control "
             f"{report['psnr_noise']:.1f} dB); defence trained in {report['defence_seconds']:.0f} s.", "",
             "| target | DSR (L1 > 0.05) poisoned | noise control | clean, other seed | L1 poisoned | L1 noise | "
             "L1 other seed |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['target']} | {100 * r['poisoned']['dsr']:.0f}% | {100 * r['noise']['dsr']:.0f}% | "
                     f"{100 * r['clean_other_seed']['dsr']:.0f}% | {r['poisoned']['l1']:.4f} | "
                     f"{r['noise']['l1']:.4f} | {r['clean_other_seed']['l1']:.4f} |")
    write_report(stem, report, lines)
    return report


if __name__ == "__main__":
    main()
