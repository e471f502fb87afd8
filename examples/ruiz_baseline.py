"""The Ruiz et al. baseline three ways on one model: RuizDisruption, ART's BIM through the helper, and
torchattacks; then the paper's transfer setting (perturb on a surrogate, evaluate on the forger's target).

Run:  python examples/ruiz_baseline.py --iterations 1000
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from art.attacks.evasion import BasicIterativeMethod

from art_initiative.attacks import RuizDisruption, generate_with_art, transfer_disruption
from art_initiative.attacks.torchattacks_compat import TorchattacksDisruption
from art_initiative.data import SyntheticFaces, target_domains
from art_initiative.training import train_stargan


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=16)
    args = parser.parse_args(argv)

    faces = SyntheticFaces(2 * args.n_train + args.n_test, args.image_size, seed=0)
    defender_data, forger_data, test = faces.split([args.n_train, args.n_train, args.n_test])
    common = dict(arch="res6", width=args.width, iterations=args.iterations, n_critic=2, g_lr=2e-4, d_lr=2e-4,
                  lambda_id=10.0, device_type="cpu", verbose=False)
    surrogate = train_stargan(*defender_data.arrays(), seed=1, **common)  # the defender's imitation
    target = train_stargan(*forger_data.arrays(), seed=2, **common)       # the forger's model, never seen
    x, labels = test.arrays()
    domains = target_domains(labels, test.attributes)

    # 1. The same I-FGSM three ways (white-box on the surrogate, first target domain).
    c = domains[0]
    ruiz = RuizDisruption(surrogate, method="ifgsm", eps=0.05, eps_step=0.01, max_iter=10, batch_size=len(x),
                          verbose=False).generate(x, conditions=c)
    art_bim = generate_with_art(BasicIterativeMethod(surrogate, eps=0.05, eps_step=0.01, max_iter=10,
                                                     batch_size=len(x), verbose=False), x, conditions=c)
    ta = TorchattacksDisruption(surrogate, eps=0.05, alpha=0.01, steps=10, conditions=c)(torch.as_tensor(x)).numpy()
    print(f"max |RuizDisruption - ART BIM| = {np.abs(ruiz - art_bim).max():.2e}; "
          f"pixels where torchattacks differs: {100 * (np.abs(ruiz - ta) > 1e-6).mean():.2f}%")

    # 2. White-box vs transfer (gray-box: same architecture and domains, other weights), all five domains.
    pgd = RuizDisruption(surrogate, method="pgd", verbose=False)
    results = {"white-box": transfer_disruption(pgd, surrogate, x, domains).dsr(),
               "gray-box": transfer_disruption(pgd, target, x, domains).dsr()}
    for name, dsr in results.items():
        print(f"PGD eps 0.05, {name}: DSR (MSE > 0.05) {100 * dsr:.1f}%")
    return results


if __name__ == "__main__":
    main()
