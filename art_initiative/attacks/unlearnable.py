"""Error-minimising ("unlearnable") and error-maximising poisons of a reenactment forger's training frames.

A second family of data poisons beside the initiative defence, for the reenactment task: Huang, Ma, Erfani,
Bailey and Wang 2021, "Unlearnable Examples: Making Personal Data Unexploitable" (ICLR), adapted from a
classifier's inputs to the targets of a landmark-to-face model ``M(z)``, and its opposite, the adversarial
poison of Fowl et al. 2021 ("Adversarial Examples Make Strong Poisons", NeurIPS).

The forger's generator loss depends on a published frame ``x + delta`` only through its reconstruction term
``|M(z) - (x + delta)|`` (pix2pix's L1; the PatchGAN term does not see the frame), and that term is separable
per pixel. So the inner problem of both poisons has an exact solution, no PGD is needed:

- error-minimising (``objective="min"``), the bilevel min-min of Unlearnable Examples: ``delta = clip(M(z) - x,
  -eps, eps)`` (:func:`error_minimizing_delta`), alternated with training the surrogate ``M`` on the poisoned
  frames. The frames become as easy to fit as the budget allows: the forger has nothing left to learn from them.
- error-maximising (``objective="max"``): ``delta = eps * sign(x - M(z))`` (:func:`error_maximizing_delta`) for a
  surrogate trained on the clean frames, the frames as far from what a forger predicts as the budget allows.

``pattern="shared"`` is the class-wise noise of Unlearnable Examples (one pattern for the whole video): the
per-pixel median of ``M(z) - x`` over the frames, clipped (min), or the end of the eps-interval that is farther
from the frames in sum (max).
"""

from __future__ import annotations

import copy
import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from art.attacks.attack import EvasionAttack

from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.training.loop import run_training
from art_initiative.training.recipe import gan_adam
from art_initiative.utils.seeding import batch_indices, iteration_rng
from art_initiative.utils.validation import check_images, check_positive_int

logger = logging.getLogger(__name__)

OBJECTIVES = ("min", "max")
PATTERNS = ("per_frame", "shared")


def reconstruction_error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The forger's reconstruction term per image, ``mean |M(z) - y|`` (pix2pix's L1), shape (N,)."""
    return (output - target).abs().flatten(1).mean(dim=1)


def _in_range(x: torch.Tensor, delta: torch.Tensor, clip: tuple[float, float]) -> torch.Tensor:
    return torch.clamp(x + delta, *clip) - x


def error_minimizing_delta(prediction: torch.Tensor, x: torch.Tensor, eps: float, clip: tuple[float, float],
                           shared: bool = False) -> torch.Tensor:
    """The noise in the eps-ball that minimises ``|prediction - (x + delta)|``: ``clip(prediction - x, -eps, eps)``
    per frame, or for ``shared`` one pattern for every frame, the clipped per-pixel median of ``prediction - x``
    (the minimiser of the summed L1 over the frames); then kept inside ``clip`` on every frame."""
    residual = prediction - x
    if shared:
        residual = residual.median(dim=0, keepdim=True).values.expand_as(x)
    return _in_range(x, torch.clamp(residual, -eps, eps), clip)


def error_maximizing_delta(prediction: torch.Tensor, x: torch.Tensor, eps: float, clip: tuple[float, float],
                           shared: bool = False) -> torch.Tensor:
    """The noise in the eps-ball that maximises ``|prediction - (x + delta)|``: ``eps * sign(x - prediction)`` per
    frame, or for ``shared`` the end of ``[-eps, eps]`` with the larger summed L1 over the frames, per pixel."""
    if shared:
        residual = prediction - x
        up = (residual - eps).abs().sum(dim=0, keepdim=True)
        down = (residual + eps).abs().sum(dim=0, keepdim=True)
        delta = torch.where(up >= down, eps, -eps).expand_as(x)
    else:
        delta = eps * torch.where(x >= prediction, 1.0, -1.0)
    return _in_range(x, delta, clip)


_DELTA = {"min": error_minimizing_delta, "max": error_maximizing_delta}


class _Noise(torch.nn.Module):
    """Holds the poison, so that the training loop checkpoints it with the surrogate."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.register_buffer("delta", torch.zeros(shape))


@dataclass
class PoisonConfig:
    """What a poisoning run is made of; stored with its checkpoint and checked on resume."""

    objective: str
    pattern: str
    eps: float
    rounds: int
    train_steps: int
    batch_size: int
    lr: float
    stop_loss: float
    seed: int
    n_frames: int
    image_shape: tuple[int, ...]


def surrogate_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, z: torch.Tensor, y: torch.Tensor
                   ) -> float:
    """One update of the surrogate on the forger's reconstruction term; returns the batch's loss."""
    loss = reconstruction_error(model(z), y).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def predict_all(model: torch.nn.Module, z: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``M(z)`` for every frame, in eval mode (as a trained forger is used), batch by batch."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(z[i:i + batch_size]) for i in range(0, len(z), batch_size)])
    model.train(was_training)
    return out


class ErrorPoison(EvasionAttack):
    """Unlearnable-examples poison of a video a reenactment forger will train on (and its error-maximising
    opposite): a surrogate forger ``M`` is trained ``train_steps`` batches at a time, and after each round the
    noise is set to the exact solution of the inner problem against it (see the module's docstring), for
    ``rounds`` rounds or until the surrogate's loss on the poisoned frames is below ``stop_loss``.

    | Paper link: https://arxiv.org/abs/2101.04898 (error-minimising), https://arxiv.org/abs/2106.10807
      (error-maximising)

    :param estimator: the surrogate forger, an unconditional sketch-to-face :class:`PyTorchImageTranslator`
        (``c_dim`` 0); training starts from a copy of its weights (the estimator itself is not changed).
    :param eps: L-inf budget of the noise, in the images' units.
    :param objective: ``"min"`` (error-minimising: surrogate trained on the poisoned frames, noise towards its
        forgeries) or ``"max"`` (error-maximising: surrogate trained on the clean frames, noise away from them).
    :param pattern: ``"per_frame"`` (sample-wise noise) or ``"shared"`` (class-wise: one pattern for the video).
    :param rounds: rounds of surrogate training and noise update.
    :param train_steps: surrogate updates per round.
    :param batch_size: frames per surrogate update (and per forward pass of the noise update).
    :param lr: the surrogate's Adam learning rate (GAN betas, as pix2pix).
    :param stop_loss: ``objective="min"``: stop once the surrogate's mean L1 to the poisoned frames is below this
        (0: every round); ``stopped_round`` says when.
    :param seed: seeds the surrogate's batches.
    :param verbose: progress bar.
    """

    attack_params = EvasionAttack.attack_params + ["eps", "objective", "pattern", "rounds", "train_steps",
                                                   "batch_size", "lr", "stop_loss", "seed", "verbose"]
    _estimator_requirements = (PyTorchImageTranslator,)

    def __init__(self, estimator: PyTorchImageTranslator, eps: float = 0.02, objective: str = "min",
                 pattern: str = "per_frame", rounds: int = 40, train_steps: int = 100, batch_size: int = 16,
                 lr: float = 2e-4, stop_loss: float = 0.0, seed: int = 0, verbose: bool = True) -> None:
        super().__init__(estimator=estimator)
        self.eps = eps
        self.objective = objective
        self.pattern = pattern
        self.rounds = rounds
        self.train_steps = train_steps
        self.batch_size = batch_size
        self.lr = lr
        self.stop_loss = stop_loss
        self.seed = seed
        self.verbose = verbose
        self.history: list[dict[str, float]] = []
        self.stopped_round: int | None = None
        self._check_params()

    def _check_params(self) -> None:
        if self.estimator.c_dim != 0:
            raise ValueError(f"estimator must be an unconditional sketch-to-face model (c_dim 0), "
                             f"got c_dim {self.estimator.c_dim}.")
        if isinstance(self.eps, bool) or not isinstance(self.eps, (int, float, np.floating)) or not 0 < self.eps <= 1:
            raise ValueError(f"eps must be a number in (0, 1], got {self.eps!r}.")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}.")
        if self.pattern not in PATTERNS:
            raise ValueError(f"pattern must be one of {PATTERNS}, got {self.pattern!r}.")
        for name in ("rounds", "train_steps", "batch_size"):
            check_positive_int(getattr(self, name), name)
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ValueError(f"lr must be a number > 0, got {self.lr!r}.")
        if isinstance(self.stop_loss, bool) or not isinstance(self.stop_loss, (int, float)) or self.stop_loss < 0:
            raise ValueError(f"stop_loss must be a number >= 0, got {self.stop_loss!r}.")
        check_positive_int(self.seed, "seed", minimum=0)

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, checkpoint_path: str | os.PathLike | None = None,
                 resume: bool = True, **kwargs: Any) -> np.ndarray:
        """Poison the frames of a video.

        :param x: the frames (N, C, H, W) in the estimator's ``clip_values``, the forger's training targets.
        :param y: their landmark sketches (N, C, H, W), the forger's inputs (required).
        :param checkpoint_path: ``.pt`` checkpoint of the surrogate and the noise after every round; with ``resume``
            an existing one made with the same settings and frame count continues.
        :return: the poisoned frames, float32, within ``eps`` of ``x`` and inside ``clip_values``.
        """
        est = self.estimator
        clip = (float(est.clip_values[0]), float(est.clip_values[1]))
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=clip)
        if y is None:
            raise ValueError("y must hold the frames' landmark sketches (the forger's inputs), got None.")
        z = check_images(y, name="y", channels=x.shape[1], shape=x.shape[1:], value_range=clip)
        if len(z) != len(x):
            raise ValueError(f"y must hold one sketch per frame: {len(x)} frames, got {len(z)} sketches.")
        device = est.device
        cfg = PoisonConfig(objective=self.objective, pattern=self.pattern, eps=float(self.eps), rounds=self.rounds,
                           train_steps=self.train_steps, batch_size=self.batch_size, lr=float(self.lr),
                           stop_loss=float(self.stop_loss), seed=self.seed, n_frames=len(x),
                           image_shape=tuple(x.shape[1:]))
        model = copy.deepcopy(est.model).to(device).train()
        noise = _Noise(tuple(x.shape)).to(device)
        opt = gan_adam(model, cfg.lr)
        x_t, z_t = torch.from_numpy(x).to(device), torch.from_numpy(z).to(device)
        solve = _DELTA[cfg.objective]
        state: dict[str, Any] = {"stopped": 0}
        self.history = []

        def step(r: int) -> dict[str, float]:
            if state["stopped"]:
                return {"train_loss": float("nan"), "poisoned_loss": float("nan")}
            targets = x_t + noise.delta if cfg.objective == "min" else x_t  # "max": the surrogate sees clean frames
            losses = []
            for k in range(cfg.train_steps):
                idx = torch.as_tensor(batch_indices(iteration_rng(cfg.seed, r * cfg.train_steps + k), len(x),
                                                    cfg.batch_size), device=device)
                losses.append(surrogate_step(model, opt, z_t[idx], targets[idx]))
            prediction = predict_all(model, z_t, cfg.batch_size * 4)
            noise.delta.copy_(solve(prediction, x_t, cfg.eps, clip, shared=cfg.pattern == "shared"))
            poisoned = float(reconstruction_error(prediction, x_t + noise.delta).mean())
            record = {"round": r + 1, "train_loss": float(np.mean(losses)), "poisoned_loss": poisoned}
            self.history.append(record)
            if cfg.objective == "min" and poisoned < cfg.stop_loss:
                state["stopped"] = r + 1
                logger.info("surrogate's loss on the poisoned frames %.4g < stop_loss after round %d", poisoned, r + 1)
            return record

        run_training(f"{cfg.objective}-error poison", cfg, {"SM": model, "noise": noise}, {"SM": opt}, step,
                     cfg.rounds, checkpoint_path, 1, resume, self.verbose, extra_state=state, ignore=("rounds",))
        self.stopped_round = int(state["stopped"]) or None
        return (x_t + noise.delta).clamp(*clip).cpu().numpy().astype(np.float32)
