"""Tutorial: poison a talking-face video so that a reenactment model trained on it fails.

The victim publishes protected frames; the forger extracts landmark sketches and trains a pix2pix model
(sketch -> face) on the published frames, then drives it with new sketches. We compare that forger with one
trained on the clean frames, and with one trained on frames with uniform noise of the same size.

Run:  python examples/initiative_reenactment.py               (synthetic video; about 10 minutes on 2 CPU cores)
      python examples/initiative_reenactment.py --video data/franck/franck.mp4     (after `make franck`)
"""

from __future__ import annotations

import argparse

import numpy as np

from art_initiative.attacks import InitiativeDefenseReenactment
from art_initiative.benchmark.common import uniform_noise
from art_initiative.data import SyntheticTalkingFace, VideoFrames
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import defense_success_rate, l1, psnr
from art_initiative.training import train_pix2pix


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--video", help="a talking-face video (default: the embedded synthetic one)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--frames", type=int, default=600, help="published frames")
    parser.add_argument("--n-test", type=int, default=50, help="held-out frames (after a 20-frame gap)")
    parser.add_argument("--forger-iterations", type=int, default=2000)
    parser.add_argument("--defense-iterations", "--defence-iterations", dest="defence_iterations", type=int,
                        default=500)
    parser.add_argument("--sm-pretrain-iterations", type=int, default=None,
                        help="the surrogate's warm-up before the alternating iterations (default: the cpu profile's)")
    parser.add_argument("--eps", type=float, default=0.02)
    args = parser.parse_args(argv)

    # 1. Frames, their landmark sketches and landmarks; the first ones are published, later ones held out.
    n_all = args.frames + 20 + args.n_test
    source = (VideoFrames(args.video, image_size=args.image_size, max_frames=n_all) if args.video
              else SyntheticTalkingFace(n_all, args.image_size, seed=0))
    frames, sketches, landmarks = source.arrays()
    x, z, lm = frames[:args.frames], sketches[:args.frames], landmarks[:args.frames]
    z_test = sketches[args.frames + 20:]

    # 2. The defence: a pix2pix surrogate SM and PG, trained with the temporary model TM (eq. 11, facial mask).
    size = args.image_size
    template = PyTorchImageTranslator.from_architecture("unet256", size, args.width, 0, "cpu")
    warm_up = {} if args.sm_pretrain_iterations is None else {"sm_pretrain_iterations": args.sm_pretrain_iterations}
    defence = InitiativeDefenseReenactment(template, profile="cpu", eps=args.eps, verbose=False,
                                           iterations=args.defence_iterations, **warm_up)
    defence.fit(x, z, lm)
    published = {"initiative": defence.generate(x), "random_noise": uniform_noise(x, args.eps)}

    # 3. The forger's own recipe on the clean and on the published frames (another seed than the clean one).
    recipe = dict(arch="unet256", width=args.width, iterations=args.forger_iterations, batch_size=4,
                  device_type="cpu", verbose=False)
    clean_forgery = train_pix2pix(z, x, seed=10, **recipe).predict(z_test)
    results = {}
    for name, frames_out in {"none (clean, other seed)": x, **published}.items():
        forgery = train_pix2pix(z, frames_out, seed=11, **recipe).predict(z_test)
        results[name] = {"dsr": defense_success_rate(clean_forgery, forgery, 0.05, metric="l1"),
                         "l1": float(l1(clean_forgery, forgery).mean()),
                         "psnr": float(psnr(x, frames_out).mean()) if frames_out is not x else float("inf")}
        r = results[name]
        print(f"{name:25s}: DSR (L1 > 0.05) {100 * r['dsr']:.0f}%, L1 {r['l1']:.4f}, PSNR {r['psnr']:.1f} dB")
    return results


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
