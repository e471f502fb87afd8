"""Tutorial: protect faces against an attribute editor with the initiative defence, beside the Ruiz baseline.

The defender trains the defence (and, for the baseline, a surrogate) on its own faces; the forger trains its
StarGAN-like target on other faces; held-out faces are protected once and edited by the target in every domain.

Run:  python examples/initiative_attribute.py                 (about 10 minutes on 2 CPU cores)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from art_initiative.attacks import InitiativeDefense, RuizDisruption
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.metrics import defense_success_rate, mse, psnr
from art_initiative.training import train_stargan


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=50)
    parser.add_argument("--target-iterations", type=int, default=1200)
    parser.add_argument("--sm-pretrain-iterations", type=int, default=1000)
    parser.add_argument("--defense-iterations", "--defence-iterations", dest="defence_iterations", type=int,
                        default=250)
    args = parser.parse_args(argv)

    # 1. Three disjoint sets of faces: the defender's, the forger's and held-out faces to publish.
    faces = SyntheticFaces(2 * args.n_train + args.n_test, args.image_size, seed=0)
    defender, forger, test = faces.split([args.n_train, args.n_train, args.n_test])
    recipe = dict(arch="res6", width=args.width, iterations=args.target_iterations, n_critic=2, g_lr=2e-4,
                  d_lr=2e-4, lambda_id=10.0, device_type="cpu", verbose=False)
    target = train_stargan(*forger.arrays(), seed=2, **recipe)        # the forger's model: never seen
    surrogate = train_stargan(*defender.arrays(), seed=1, **recipe)   # the baseline's stand-in for it

    # 2. The initiative defence: SM and PG trained together (the surrogate is only the architecture template).
    defence = InitiativeDefense(surrogate, profile="cpu", eps=0.05, verbose=False,
                                sm_pretrain_iterations=args.sm_pretrain_iterations,
                                iterations=args.defence_iterations)
    defence.fit(defender)

    # 3. Protect the held-out faces once, with the learned PG and with the baseline (PGD, all domains jointly).
    x, labels = test.arrays()
    domains = target_domains(labels, test.attributes)
    timed = {}
    t = time.perf_counter()
    timed["initiative"] = defence.generate(x), (time.perf_counter() - t) / len(x)
    t = time.perf_counter()
    ruiz = RuizDisruption(surrogate, method="pgd", eps=0.05, verbose=False)
    timed["ruiz_pgd"] = ruiz.generate(x, conditions=domains), (time.perf_counter() - t) / len(x)

    # 4. What the forger's target makes of them, in every domain.
    clean = np.concatenate([target.predict(x, conditions=c) for c in domains])
    results = {}
    for name, (x_prot, seconds) in timed.items():
        infected = np.concatenate([target.predict(x_prot, conditions=c) for c in domains])
        results[name] = {"dsr": defense_success_rate(clean, infected, 0.05),
                         "dsr_0.01": defense_success_rate(clean, infected, 0.01),
                         "mse": float(mse(clean, infected).mean()), "psnr": float(psnr(x, x_prot).mean()),
                         "ms_per_image": 1000 * seconds}
        r = results[name]
        print(f"{name:10s}: DSR {100 * r['dsr']:.1f}% (MSE > 0.01: {100 * r['dsr_0.01']:.1f}%), forgery MSE "
              f"{r['mse']:.4f}, PSNR {r['psnr']:.1f} dB, {r['ms_per_image']:.2f} ms per image")
    return results


if __name__ == "__main__":
    main()
