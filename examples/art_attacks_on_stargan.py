"""Train a small StarGAN-like editor on synthetic faces and disrupt it with ART's own attacks.

Run:  python examples/art_attacks_on_stargan.py --iterations 1500
"""

from __future__ import annotations

import argparse

import numpy as np
from art.attacks.evasion import BasicIterativeMethod, FastGradientMethod

from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.metrics import defense_success_rate, mse, psnr
from art_initiative.training import train_stargan


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=16)
    args = parser.parse_args(argv)

    faces = SyntheticFaces(args.n_train + args.n_test, args.image_size, seed=0)
    train, test = faces.split([args.n_train, args.n_test])
    # The forger's model: a StarGAN-like G(x, c) over the five attributes of the paper.
    G = train_stargan(*train.arrays(), arch="res6", width=args.width, iterations=args.iterations,
                      n_critic=2, g_lr=2e-4, d_lr=2e-4, lambda_id=10.0, device_type="cpu")
    x, labels = test.arrays()
    results = {}
    for name, make in [
        ("FGM", lambda: FastGradientMethod(G, eps=0.05, batch_size=len(x))),
        ("BIM", lambda: BasicIterativeMethod(G, eps=0.05, eps_step=0.01, max_iter=10, batch_size=len(x),
                                             verbose=False)),
    ]:
        clean, infected, protected = [], [], []
        for c in target_domains(labels, test.attributes):  # one target domain per attribute
            with G.conditioning(c):  # per-sample conditions: keep ART's batch_size >= N
                y = G.predict(x)
                # The gradient of ||G(x') - G(x)||^2 is zero at x' = x: attack a jittered reference.
                reference = (y + np.random.default_rng(0).normal(0, 0.01, y.shape)).astype(np.float32)
                x_adv = make().generate(x, y=reference)
                clean.append(y)
                infected.append(G.predict(x_adv))
                protected.append(x_adv)
        y, y_adv = np.concatenate(clean), np.concatenate(infected)
        results[name] = defense_success_rate(y, y_adv)
        print(f"{name}: DSR {100 * results[name]:.1f}%  MSE {mse(y, y_adv).mean():.4f}  "
              f"PSNR of protected faces {psnr(np.tile(x, (5, 1, 1, 1)), np.concatenate(protected)).mean():.1f} dB")
    return results


if __name__ == "__main__":
    main()
