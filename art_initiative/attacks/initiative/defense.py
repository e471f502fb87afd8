"""``InitiativeDefense``: the learned perturbation generator of Huang et al. (AAAI 2021) for attribute editing."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import torch
from art.attacks.attack import EvasionAttack

from art_initiative.attacks.initiative.config import InitiativeConfig, make_config
from art_initiative.attacks.initiative.training import DefenceNetworks, fresh_copy, train_defence
from art_initiative.data.synthetic import PAPER_ATTRIBUTES
from art_initiative.defences.preprocessor.initiative import InitiativePreprocessor, protect
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model
from art_initiative.utils.checkpoint import load_checkpoint, restore, save_checkpoint
from art_initiative.utils.validation import check_images, check_positive_int

logger = logging.getLogger(__name__)


def _build_pg(cfg: InitiativeConfig, input_shape: tuple[int, ...]) -> torch.nn.Module:
    return build_model("pg_unet", image_size=input_shape[1], width=cfg.pg_width, levels=cfg.pg_levels,
                       in_channels=input_shape[0])


class InitiativeDefense(EvasionAttack):
    """Protect faces against a StarGAN-like attribute editor with one forward pass of a trained generator PG:
    ``x' = clip(x + eps * PG(x))``.

    :param estimator: the architecture template of the surrogate SM (gray-box knowledge: the forger's
        architecture and attribute domains, never its weights). SM starts from fresh random weights.
    :param profile: ``"paper"``, ``"cpu"``, ``"tiny"`` or an :class:`InitiativeConfig`.
    :param attributes: names of the estimator's ``c_dim`` attributes (hair colours are one-hot domains).
    :param batch_size: images per forward pass in :meth:`generate`.
    :param verbose: progress bars.
    :param overrides: settings of :class:`InitiativeConfig` that replace the profile's (``eps=0.03``...).
    """

    attack_params = EvasionAttack.attack_params + ["eps", "batch_size", "verbose"]
    _estimator_requirements = (PyTorchImageTranslator,)

    def __init__(self, estimator: PyTorchImageTranslator, profile: str | InitiativeConfig = "paper",
                 attributes: Sequence[str] = PAPER_ATTRIBUTES, batch_size: int = 128, verbose: bool = True,
                 **overrides: Any) -> None:
        super().__init__(estimator=estimator)
        self.config = make_config(profile, **overrides)
        self.attributes = tuple(attributes)
        self.batch_size = batch_size
        self.verbose = verbose
        self.history: list[dict[str, float]] = []
        self.best: dict[str, float] = {}
        self._check_params()
        torch.manual_seed(self.config.seed)
        self.pg = _build_pg(self.config, estimator.input_shape).to(estimator.device).eval()
        self._fitted = False

    @property
    def eps(self) -> float:
        return self.config.eps

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` ran or a trained defence was loaded."""
        return self._fitted

    def _check_params(self) -> None:
        if self.estimator.c_dim != len(self.attributes):
            raise ValueError(f"attributes must name the estimator's {self.estimator.c_dim} attributes, "
                             f"got {len(self.attributes)}: {list(self.attributes)}.")
        check_positive_int(self.batch_size, "batch_size")
        if not isinstance(self.verbose, bool):
            raise ValueError(f"verbose must be a bool, got {self.verbose!r}.")

    # ------------------------------------------------------------------ training
    def _networks(self) -> DefenceNetworks:
        cfg, est = self.config, self.estimator
        size = est.input_shape[1]
        sm = fresh_copy(est.model, cfg.seed).to(est.device).train()
        sm_prev = fresh_copy(sm, cfg.seed).to(est.device)
        sm_prev.load_state_dict(sm.state_dict())
        torch.manual_seed(cfg.seed + 1)
        d_a = build_model("stargan_disc", image_size=size, width=cfg.sm_disc_width, c_dim=est.c_dim).to(est.device)
        critic = build_model("wgan_critic", image_size=size, width=cfg.critic_width).to(est.device)
        pg_best = _build_pg(cfg, est.input_shape).to(est.device)
        pg_best.load_state_dict(self.pg.state_dict())
        betas = (0.5, 0.999)
        return DefenceNetworks(
            pg=self.pg, pg_best=pg_best, critic=critic, sm=sm, sm_prev=sm_prev, d_a=d_a,
            opt_pg=torch.optim.Adam(self.pg.parameters(), cfg.pg_lr, betas=betas),
            opt_critic=torch.optim.Adam(critic.parameters(), cfg.critic_lr, betas=betas),
            opt_sm=torch.optim.Adam(sm.parameters(), cfg.sm_lr, betas=betas),
            opt_d_a=torch.optim.Adam(d_a.parameters(), cfg.sm_lr, betas=betas),
        )

    def fit(self, x: np.ndarray | Any, y: np.ndarray | None = None, x_val: np.ndarray | None = None,
            y_val: np.ndarray | None = None, checkpoint_path: str | os.PathLike | None = None, resume: bool = True,
            callback: Callable[[int, dict[str, float]], None] | None = None) -> InitiativeDefense:
        """Train SM and PG with Algorithm 1 (two-stage alternating training).

        :param x: the defender's training faces (N, C, H, W) in [-1, 1], or a data set with ``arrays()``
            (``SyntheticFaces``, ``CelebA``) whose labels are then used.
        :param y: the images' own attributes (N, c_dim), 0/1.
        :param x_val: held-out faces for choosing PG_best (default: the last ``batch_size`` training images).
        :param y_val: their attributes.
        :param checkpoint_path: ``.pt`` checkpoint written every ``checkpoint_every`` iterations; with
            ``resume`` an existing one with the same config is continued.
        :param callback: ``callback(iteration, losses)`` after every iteration.
        :return: self, with PG set to PG_best.
        """
        if hasattr(x, "arrays"):
            x, y = x.arrays()
        est, cfg = self.estimator, self.config
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=est.clip_values)
        if y is None:
            raise ValueError(f"y (the images' own attributes, shape ({len(x)}, {est.c_dim})) is required.")
        y = np.asarray(y, dtype=np.float32)
        if y.shape != (len(x), est.c_dim) or not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"y must be 0/1 attributes of shape ({len(x)}, {est.c_dim}), got {y.shape}.")
        if x_val is None:
            x_val, y_val = x[-cfg.batch_size:], y[-cfg.batch_size:]
        x_val = check_images(x_val, name="x_val", channels=est.input_shape[0], shape=est.input_shape,
                             value_range=est.clip_values)
        y_val = np.asarray(y_val, dtype=np.float32)
        if y_val.shape != (len(x_val), est.c_dim):
            raise ValueError(f"y_val must have shape ({len(x_val)}, {est.c_dim}), got {y_val.shape}.")
        nets = self._networks()
        self.history = []

        def record(it: int, losses: dict[str, float]) -> None:
            self.history.append({"iteration": it, **losses})
            if callback is not None:
                callback(it, losses)

        clip = (float(est.clip_values[0]), float(est.clip_values[1]))
        self.best = train_defence(nets, x, y, self.attributes, x_val, y_val, cfg, est.device, clip, checkpoint_path,
                                  resume, self.verbose, record)
        self.pg.load_state_dict(nets.pg_best.state_dict())
        self.pg.eval()
        self._fitted = True
        return self

    # ------------------------------------------------------------------ protecting
    def generate(self, x: np.ndarray, y: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        """Protect faces: ``clip(x + eps * PG(x))``, one forward pass per batch, on the estimator's device.

        :param x: faces (N, C, H, W) in the estimator's ``clip_values``.
        :param y: ignored (the protection needs no labels).
        :return: protected faces, float32, within ``eps`` of ``x``.
        """
        if not self._fitted:
            logger.warning("InitiativeDefense.generate called before fit() or load(): PG is untrained.")
        est = self.estimator
        x = check_images(x, name="x", channels=est.input_shape[0], shape=est.input_shape, value_range=est.clip_values)
        clip = (float(est.clip_values[0]), float(est.clip_values[1]))
        out = np.empty_like(x)
        self.pg.eval()
        with torch.no_grad():
            for start in range(0, len(x), self.batch_size):
                xb = torch.as_tensor(x[start:start + self.batch_size], device=est.device)
                out[start:start + self.batch_size] = protect(self.pg, xb, self.eps, clip).cpu().numpy()
        return out

    def to_preprocessor(self, apply_fit: bool = False, apply_predict: bool = True) -> InitiativePreprocessor:
        """PG as an ART ``PreprocessorPyTorch``, for ``PyTorchImageTranslator(G, preprocessing_defences=[...])``."""
        return InitiativePreprocessor(self.pg, self.eps, tuple(self.estimator.clip_values),
                                      device_type="gpu" if self.estimator.device.type == "cuda" else "cpu",
                                      apply_fit=apply_fit, apply_predict=apply_predict)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the trained PG with its config, input shape and attributes (``.pt`` + ``.json`` sidecar)."""
        config = {**asdict(self.config), "input_shape": list(self.estimator.input_shape),
                  "attributes": list(self.attributes), "clip_values": [float(v) for v in self.estimator.clip_values]}
        save_checkpoint(path, config, {"pg": self.pg}, state={"fitted": self._fitted, **self.best})

    @staticmethod
    def load_preprocessor(path: str | os.PathLike, device_type: str = "gpu") -> tuple[InitiativePreprocessor,
                                                                                        tuple[int, ...]]:
        """Only the protection of a saved defence (no forger's model needed), with the input shape it expects.

        The preprocessor maps numpy batches too: ``x_protected, _ = pre(x)``.
        """
        stored = load_checkpoint(path)
        cfg = dict(stored["config"])
        shape = tuple(cfg.pop("input_shape"))
        clip = tuple(cfg.pop("clip_values"))
        cfg.pop("attributes")
        config = InitiativeConfig(**cfg)
        pg = _build_pg(config, shape)
        restore(stored, {"pg": pg})
        return InitiativePreprocessor(pg, config.eps, clip, device_type=device_type), shape

    @classmethod
    def load(cls, path: str | os.PathLike, estimator: PyTorchImageTranslator, batch_size: int = 128,
             verbose: bool = True) -> InitiativeDefense:
        """Load a defence written by :meth:`save` for ``estimator`` (which must match its input shape)."""
        stored = load_checkpoint(path)
        cfg = dict(stored["config"])
        shape = tuple(cfg.pop("input_shape"))
        attributes = cfg.pop("attributes")
        cfg.pop("clip_values")
        if tuple(estimator.input_shape) != shape:
            raise ValueError(f"the defence in {path} was trained for input shape {shape}, "
                             f"the estimator has {tuple(estimator.input_shape)}.")
        defence = cls(estimator, InitiativeConfig(**cfg), attributes=attributes, batch_size=batch_size,
                      verbose=verbose)
        restore(stored, {"pg": defence.pg})
        defence.pg.eval()
        defence._fitted = bool(stored["state"].get("fitted", True))
        defence.best = {k: v for k, v in stored["state"].items() if k != "fitted"}
        return defence
