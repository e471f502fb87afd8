"""Training the independent attribute classifier that judges whether a forger's edits happen."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from art_initiative.models import build_model
from art_initiative.training import distributed
from art_initiative.training.distributed import optimizer_step, shard
from art_initiative.training.loop import resolve_device, run_training
from art_initiative.utils.checkpoint import load_checkpoint, restore
from art_initiative.utils.seeding import batch_indices, iteration_rng, iteration_torch_generator
from art_initiative.utils.validation import check_images, check_positive_int


@dataclass
class ClassifierConfig:
    """Settings of :func:`train_attribute_classifier`."""

    image_size: int = 128
    n_outputs: int = 5
    width: int = 32
    iterations: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    noise_std: float = 0.05
    max_shift: int = 2
    seed: int = 0


def _augment(x: torch.Tensor, cfg: ClassifierConfig, rng: np.random.Generator,
             generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise and a small circular shift, so that the classifier does not hinge on exact pixels (edited
    images carry generator artefacts). No flips: they would swap left/right attributes."""
    if cfg.max_shift > 0:
        dy, dx = (int(v) for v in rng.integers(-cfg.max_shift, cfg.max_shift + 1, size=2))
        x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    if cfg.noise_std > 0:
        x = x + cfg.noise_std * torch.randn(x.shape, device=x.device, generator=generator)
    return x.clamp(-1.0, 1.0)


def train_attribute_classifier(x: np.ndarray, labels: np.ndarray, width: int = 32, iterations: int = 2000,
                               batch_size: int = 64, lr: float = 1e-3, noise_std: float = 0.05,
                               max_shift: int = 2, seed: int = 0, device_type: str = "gpu",
                               checkpoint_path: str | os.PathLike | None = None, verbose: bool = False
                               ) -> torch.nn.Module:
    """Train a multi-label attribute classifier on real (not generated) images, as StarGAN's evaluation does.

    :param x: images (N, 3, H, W) in [-1, 1].
    :param labels: their attributes (N, n_outputs), 0/1.
    :param noise_std: standard deviation of the Gaussian noise added to every training batch.
    :param max_shift: largest circular shift (pixels) of a training batch.
    :param checkpoint_path: ``.pt`` file; an existing one with the same settings is continued (or reused).
    :return: the classifier in eval mode (logits, one per attribute), on the CPU or CUDA per ``device_type``.
    """
    x = check_images(x, name="x")
    labels = np.asarray(labels, dtype=np.float32)
    if labels.ndim != 2 or labels.shape[0] != x.shape[0]:
        raise ValueError(f"labels must have shape ({x.shape[0]}, n_attributes), got {labels.shape}.")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0/1 attributes.")
    check_positive_int(iterations, "iterations")
    check_positive_int(batch_size, "batch_size")
    if noise_std < 0 or max_shift < 0:
        raise ValueError(f"noise_std and max_shift must be >= 0, got {noise_std!r} and {max_shift!r}.")
    cfg = ClassifierConfig(image_size=x.shape[2], n_outputs=labels.shape[1], width=width, iterations=iterations,
                           batch_size=batch_size, lr=lr, noise_std=noise_std, max_shift=max_shift, seed=seed)
    device = resolve_device(device_type)
    distributed.check_batch_split(batch_size, len(x))
    torch.manual_seed(seed)
    model = build_model("attribute_classifier", image_size=cfg.image_size, width=width, c_dim=cfg.n_outputs)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr, foreach=True)
    x_all, y_all = torch.from_numpy(x), torch.from_numpy(labels)

    def step(it: int) -> dict[str, float]:
        rng = iteration_rng(seed, it)
        idx = torch.as_tensor(shard(batch_indices(rng, len(x_all), batch_size)))
        noise = iteration_torch_generator(seed, it, distributed.rank_stream(1), device)
        xb = _augment(x_all[idx].to(device), cfg, rng, noise)
        loss = F.binary_cross_entropy_with_logits(model(xb), y_all[idx].to(device))
        optimizer_step(opt, loss)
        return {"bce": loss.item()}

    run_training("attribute classifier", cfg, {"classifier": model}, {"classifier": opt}, step, iterations,
                 checkpoint_path, max(iterations // 4, 1), True, verbose)
    return model.eval()


def load_attribute_classifier(path: str | os.PathLike, device_type: str = "gpu") -> torch.nn.Module:
    """Rebuild a classifier from a :func:`train_attribute_classifier` checkpoint (eval mode)."""
    stored = load_checkpoint(path)
    cfg = ClassifierConfig(**stored["config"])
    model = build_model("attribute_classifier", image_size=cfg.image_size, width=cfg.width, c_dim=cfg.n_outputs)
    restore(stored, {"classifier": model})
    return model.to(resolve_device(device_type)).eval()
