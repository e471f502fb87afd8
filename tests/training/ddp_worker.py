"""Run by tests/training/test_distributed.py under ``torchrun --nproc_per_node=2``: tiny StarGAN, pix2pix and
attribute-defence runs, each rank writing what it saw and what it ended with to ``OUT/rank-<r>.json``."""

from __future__ import annotations

import hashlib
import json
import os
import sys

import torch

import art_initiative.attacks.initiative.attribute_training as attribute_training
import art_initiative.training.pix2pix as pix2pix_module
import art_initiative.training.stargan as stargan_module
from art_initiative.attacks import InitiativeDefense
from art_initiative.data import SyntheticFaces, SyntheticTalkingFace
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model
from art_initiative.training import distributed, train_pix2pix, train_stargan


def digest(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def recording(module: object, log: list) -> None:
    """Make ``module.shard`` record every shard this rank trains on."""
    original = module.shard

    def shard(indices):  # noqa: ANN001, ANN202
        mine = original(indices)
        log.append([int(i) for i in mine])
        return mine

    module.shard = shard


def main(out: str) -> None:
    torch.set_num_threads(1)
    seen: dict[str, list] = {"stargan": [], "pix2pix": [], "defence": []}
    recording(stargan_module, seen["stargan"])
    recording(pix2pix_module, seen["pix2pix"])
    recording(attribute_training, seen["defence"])
    x, y = SyntheticFaces(16, 16, seed=0).arrays()
    try:  # a global batch that does not split over the ranks
        train_stargan(x, y, width=4, disc_width=4, iterations=1, batch_size=3, device_type="cpu", verbose=False)
        split_error = ""
    except ValueError as err:
        split_error = str(err)
    G = train_stargan(x, y, width=4, disc_width=4, iterations=4, batch_size=4, n_critic=2, device_type="cpu",
                      checkpoint_path=os.path.join(out, "stargan.pt"), checkpoint_every=2, verbose=False)
    # the same run stopped after 2 iterations and resumed: the same weights (determinism per world size)
    settings = dict(width=4, disc_width=4, batch_size=4, n_critic=2, device_type="cpu", verbose=False,
                    checkpoint_path=os.path.join(out, "stargan-resumed.pt"))
    train_stargan(x, y, iterations=2, **settings)
    resumed = train_stargan(x, y, iterations=4, **settings)
    frames, sketches, _ = SyntheticTalkingFace(8, 16, seed=0).arrays()
    P = train_pix2pix(sketches, frames, arch="res6", width=4, iterations=3, batch_size=2, device_type="cpu",
                      checkpoint_path=os.path.join(out, "pix2pix.pt"), verbose=False)
    torch.manual_seed(0)
    template = PyTorchImageTranslator(build_model("res6", 16, 4, 5), (3, 16, 16), c_dim=5, device_type="cpu")
    losses: list[dict] = []
    defence = InitiativeDefense(template, profile="tiny", verbose=False, sm_init="fresh")
    defence.fit(x, y, checkpoint_path=os.path.join(out, "defence-training.pt"),
                callback=lambda it, ls: losses.append({"iteration": it, **ls}))
    defence.save(os.path.join(out, "defence.pt"))
    record = {"rank": distributed.rank(), "world_size": distributed.world_size(), "seen": seen,
              "stargan": digest(G.model), "stargan_resumed": digest(resumed.model),
              "pix2pix": digest(P.model), "pg": digest(defence.pg),
              "losses": losses, "best": defence.best, "split_error": split_error}
    with open(os.path.join(out, f"rank-{distributed.rank()}.json"), "w", encoding="utf-8") as fh:
        json.dump(record, fh)


if __name__ == "__main__":
    main(sys.argv[1])
