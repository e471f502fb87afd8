"""``InitiativeDefenseReenactment``: poison a victim's video before release so that a face-reenactment model
(pix2pix / Face2Face-like, landmark sketch -> face) trained on it fails (Huang et al. 2021, eq. 11)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from art_initiative.attacks.initiative.algorithm import DefenceNetworks, fresh_copy
from art_initiative.attacks.initiative.base import PerturbationGeneratorDefense
from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.reenactment_training import train_reenactment_defence
from art_initiative.data.masks import face_mask
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model, shared_pattern
from art_initiative.utils.validation import check_images


class InitiativeDefenseReenactment(PerturbationGeneratorDefense):
    """Protect the frames of a talking-face video with one forward pass of a trained PG: ``x' = clip(x + eps
    PG(x))``, learned so that a landmark-to-face model trained on ``x'`` reconstructs the face badly.

    | Paper link: https://arxiv.org/abs/2112.10098

    :param estimator: the architecture template of the surrogate SM_x (an unconditional
        :class:`PyTorchImageTranslator`, ``c_dim=0``, sketch -> frame); SM starts from its weights, or from fresh
        random ones with ``sm_init="fresh"`` (the benchmark's protocol).
    :param profile: ``"paper"`` (eps 0.02, lr 2e-4), ``"cpu"``, ``"tiny"`` or an :class:`InitiativeConfig`
        with ``task="reenactment"``.
    :param batch_size: frames per forward pass in :meth:`generate`.
    :param verbose: progress bars.
    :param pattern: what :meth:`generate` publishes: ``"per_frame"`` (the paper's ``clip(x + eps PG(x))`` for
        each frame) or ``"shared"`` (the sign of PG's mean perturbation over the frames of one ``generate`` call,
        at the full budget, on every frame: :func:`~art_initiative.models.perturbation.shared_pattern`; pass the
        whole video in one call). On the reenactment benchmark the shared pattern is what moves the forgers at
        eps 0.05 (86-100% DSR against 11-18% per frame), at a lower PSNR (32 dB against 36 dB).
    :param overrides: settings of :class:`InitiativeConfig` that replace the profile's.
    """

    attack_params = PerturbationGeneratorDefense.attack_params + ["pattern"]
    task = "reenactment"
    PATTERNS = ("per_frame", "shared")

    def __init__(self, estimator: PyTorchImageTranslator, profile: str | InitiativeConfig = "paper",
                 batch_size: int = 128, verbose: bool = True, pattern: str = "per_frame", **overrides: Any) -> None:
        super().__init__(estimator, profile, batch_size=batch_size, verbose=verbose, **overrides)
        self.pattern = pattern
        self._check_params()

    def _check_params(self) -> None:
        if self.estimator.c_dim != 0:
            raise ValueError(f"estimator must be an unconditional sketch-to-face model (c_dim 0), "
                             f"got c_dim {self.estimator.c_dim}.")
        self._check_pattern(self.pattern)
        super()._check_params()

    def _check_pattern(self, pattern: str) -> None:
        if pattern not in self.PATTERNS:
            raise ValueError(f"pattern must be one of {self.PATTERNS}, got {pattern!r}.")

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, eps: float | None = None,
                 pattern: str | None = None, **kwargs: Any) -> np.ndarray:
        """Protect the frames of a video, frame by frame or with one shared pattern (``pattern``).

        :param x: frames (N, C, H, W) in the estimator's ``clip_values``; with ``pattern="shared"`` the whole
            video (the pattern is the one of these frames).
        :param y: ignored.
        :param eps: another L-inf budget than the trained one.
        :param pattern: ``"per_frame"`` or ``"shared"`` for this call (default: the defence's ``pattern``).
        :return: protected frames, float32, within ``eps`` of ``x``.
        """
        pattern = self.pattern if pattern is None else pattern
        self._check_pattern(pattern)
        protected = super().generate(x, y, eps=eps, **kwargs)  # checks x
        if pattern == "per_frame":
            return protected
        return shared_pattern(np.asarray(x, dtype=np.float32), protected, self.eps if eps is None else eps,
                              self._clip)

    def _networks(self) -> DefenceNetworks:
        cfg, est = self.config, self.estimator
        size = est.input_shape[1]
        sm = fresh_copy(est.model, cfg.seed) if cfg.sm_init == "fresh" else copy.deepcopy(est.model)
        sm = sm.to(est.device).train()
        torch.manual_seed(cfg.seed + 1)
        d_sm = build_model("patchgan", image_size=size, width=cfg.sm_disc_width, in_channels=6).to(est.device)
        return self._assemble(sm, d_sm)

    def fit(self, x: np.ndarray, z: np.ndarray, landmarks: np.ndarray, n_val: int | None = None,
            checkpoint_path: str | os.PathLike | None = None, resume: bool = True,
            callback: Callable[[int, dict[str, float]], None] | None = None) -> InitiativeDefenseReenactment:
        """Train SM_x and PG on the victim's own frames (Algorithm 1 with eq. 11 and the facial mask).

        :param x: the frames (N, 3, H, W) in [-1, 1].
        :param z: their landmark sketches (N, 3, H, W), the forger's guidance.
        :param landmarks: their 68 landmarks in pixels (N, 68, 2), for the facial mask ``m(x)``.
        :param n_val: the last ``n_val`` frames choose PG_best (default: ``batch_size``); they are also trained on.
        :param checkpoint_path: ``.pt`` checkpoint; with ``resume`` an existing one with the same config continues.
        :param callback: ``callback(iteration, losses)`` after every iteration.
        :return: self, with PG set to PG_best.
        """
        cfg = self.config
        x = self._check_x(x)
        z = check_images(z, name="z", channels=x.shape[1], shape=x.shape[1:], value_range=(-1.0, 1.0))
        if len(z) != len(x):
            raise ValueError(f"z must hold one sketch per frame: {len(x)} frames, got {len(z)} sketches.")
        landmarks = np.asarray(landmarks, dtype=np.float32)
        if landmarks.shape != (len(x), 68, 2):
            raise ValueError(f"landmarks must have shape ({len(x)}, 68, 2), got {landmarks.shape}.")
        masks = face_mask(landmarks, x.shape[2], outside=cfg.mask_outside)
        n_val = cfg.batch_size if n_val is None else n_val
        if not 0 < n_val <= len(x):
            raise ValueError(f"n_val must be in [1, {len(x)}], got {n_val}.")
        self._train(lambda nets, record: train_reenactment_defence(
            nets, x, z, masks, x[-n_val:], z[-n_val:], masks[-n_val:], cfg, self.estimator.device, self._clip,
            checkpoint_path, resume, self.verbose, record), callback)
        return self
