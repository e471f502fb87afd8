"""What both initiative defences share: a trained perturbation generator PG applied as ``clip(x + eps PG(x))``,
numpy in and out, saved with its config, usable as an ART preprocessor."""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch
from art.attacks.attack import EvasionAttack

from art_initiative.attacks.initiative import pretrained
from art_initiative.attacks.initiative.algorithm import DefenceNetworks
from art_initiative.attacks.initiative.config import InitiativeConfig, make_config
from art_initiative.defences.preprocessor.initiative import InitiativePreprocessor
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model
from art_initiative.models.perturbation import protect
from art_initiative.training import distributed
from art_initiative.training.recipe import gan_adam
from art_initiative.utils.checkpoint import load_checkpoint, restore, save_checkpoint
from art_initiative.utils.validation import check_images, check_positive_int, unchanged_on_error

logger = logging.getLogger(__name__)


def build_pg(cfg: InitiativeConfig, input_shape: tuple[int, ...]) -> torch.nn.Module:
    """The perturbation generator of ``cfg`` for images of ``input_shape`` (C, H, W)."""
    return build_model("pg_unet", image_size=input_shape[1], width=cfg.pg_width, levels=cfg.pg_levels,
                       in_channels=input_shape[0], pattern=cfg.pg_pattern)


class PerturbationGeneratorDefense(EvasionAttack):
    """Base of :class:`InitiativeDefense` and :class:`InitiativeDefenseReenactment`: PG, ``generate``,
    ``to_preprocessor``, ``save`` / ``load``.

    :param estimator: the architecture template of the surrogate SM.
    :param profile: a profile name of ``task`` or an :class:`InitiativeConfig`.
    :param batch_size: images per forward pass in :meth:`generate`.
    :param verbose: progress bars.
    :param saturate: publish ``clip(x + eps * sign(PG(x)))``, PG's direction at the full budget, instead of the
        paper's ``clip(x + eps * PG(x))`` (training is unchanged; lower PSNR, a stronger perturbation; measured in
        the docs' results). A PG trained for that protection (``pg_output="sign"``) publishes it unless a call asks
        ``saturate=False``.
    """

    attack_params = EvasionAttack.attack_params + ["eps", "precision", "batch_size", "verbose", "saturate"]
    _estimator_requirements = (PyTorchImageTranslator,)
    task = "attribute_editing"

    def __init__(self, estimator: PyTorchImageTranslator, profile: str | InitiativeConfig = "paper",
                 batch_size: int = 128, verbose: bool = True, saturate: bool = False, **overrides: Any) -> None:
        super().__init__(estimator=estimator)
        if overrides.pop("task", self.task) != self.task:
            raise ValueError(f"task cannot be changed by a setting: {type(self).__name__} is for {self.task!r}.")
        self.config = make_config(profile, task=self.task, **overrides)
        self.batch_size = batch_size
        self.verbose = verbose
        self.saturate = saturate
        self.history: list[dict[str, float]] = []
        self.best: dict[str, float] = {}
        torch.manual_seed(self.config.seed)
        self.pg = build_pg(self.config, estimator.input_shape).to(estimator.device).eval()
        self._fitted = False
        self.pretrained: str | None = None

    @property
    def eps(self) -> float:
        """The L-inf budget of the protection (the config's ``eps``)."""
        return self.config.eps

    @eps.setter
    def eps(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value <= 1:
            raise ValueError(f"eps must be a number in (0, 1], got {value!r}.")
        self.config = replace(self.config, eps=float(value))

    @property
    def precision(self) -> str:
        """``"fp32"`` or ``"bf16"`` (autocast) for :meth:`fit` and :meth:`generate` (the config's ``precision``)."""
        return self.config.precision

    @precision.setter
    def precision(self, value: str) -> None:
        self.config = replace(self.config, precision=distributed.check_precision(value))

    @property
    def _default_saturate(self) -> bool:
        """What :meth:`generate` and the preprocessor publish unless told: the defence's ``saturate``, or the
        full budget for a PG trained for it (``pg_output="sign"``)."""
        return self.saturate or self.config.saturated

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` ran or a trained defence was loaded."""
        return self._fitted

    def set_params(self, **kwargs: Any) -> None:
        """Change attack parameters (:attr:`attack_params`, checked by ``_check_params``); on a bad value nothing
        changes."""
        # eps and precision are properties of the config, which is restored last
        with unchanged_on_error(self, [*(k for k in self.attack_params if hasattr(self, k)), "config"]):
            super().set_params(**kwargs)

    def _check_params(self) -> None:
        if not 0 < self.config.eps <= 1:
            raise ValueError(f"eps must be a number in (0, 1], got {self.config.eps!r}.")
        check_positive_int(self.batch_size, "batch_size")
        for name in ("verbose", "saturate"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}.")

    def _assemble(self, sm: torch.nn.Module, d_a: torch.nn.Module, sm_prev: torch.nn.Module | None = None,
                  d_a_prev: torch.nn.Module | None = None) -> DefenceNetworks:
        """Add what both tasks share to the surrogate and its discriminator: the critic D_B, PG_best, and Adam
        optimizers (betas 0.5, 0.999) for PG, D_B, SM and SM's discriminator."""
        cfg, est = self.config, self.estimator
        critic = build_model("wgan_critic", image_size=est.input_shape[1], width=cfg.critic_width).to(est.device)
        pg_best = build_pg(cfg, est.input_shape).to(est.device)
        pg_best.load_state_dict(self.pg.state_dict())
        distributed.to_memory_format([m for m in (self.pg, pg_best, critic, sm, sm_prev, d_a, d_a_prev)
                                      if m is not None], cfg.channels_last)
        return DefenceNetworks(
            pg=self.pg, pg_best=pg_best, critic=critic, sm=sm, sm_prev=sm_prev, d_a=d_a, d_a_prev=d_a_prev,
            opt_pg=gan_adam(self.pg, cfg.pg_lr), opt_critic=gan_adam(critic, cfg.critic_lr),
            opt_sm=gan_adam(sm, cfg.sm_lr), opt_d_a=gan_adam(d_a, cfg.sm_lr),
        )

    def _train(self, train: Callable[[DefenceNetworks, Callable[[int, dict[str, float]], None]], dict[str, float]],
               callback: Callable[[int, dict[str, float]], None] | None) -> None:
        """Run ``train(nets, record)`` on fresh networks, recording every iteration's losses in ``history`` (and
        passing them to ``callback``), then keep PG_best as PG. Under ``torchrun`` every rank runs this
        (:mod:`~art_initiative.training.distributed`)."""
        distributed.init_from_env("gpu" if self.estimator.device.type == "cuda" else "cpu")
        distributed.check_device(self.estimator.device)
        nets = self._networks()
        self.history = []

        def record(it: int, losses: dict[str, float]) -> None:
            self.history.append({"iteration": it, **losses})
            if callback is not None:
                callback(it, losses)

        self.best = train(nets, record)
        self.pg.load_state_dict(nets.pg_best.state_dict())
        self.pg.eval()
        self._fitted = True

    @abc.abstractmethod
    def _networks(self) -> DefenceNetworks:
        """The surrogate, its discriminator and the shared networks of a new training run (per task)."""

    @property
    def _clip(self) -> tuple[float, float]:
        return float(self.estimator.clip_values[0]), float(self.estimator.clip_values[1])

    def _check_x(self, x: np.ndarray, name: str = "x") -> np.ndarray:
        est = self.estimator
        return check_images(x, name=name, channels=est.input_shape[0], shape=est.input_shape,
                            value_range=est.clip_values)

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, eps: float | None = None,
                 saturate: bool | None = None, **kwargs: Any) -> np.ndarray:
        """Protect images: ``clip(x + eps * PG(x))``, one forward pass per batch, on the estimator's device.

        :param x: images (N, C, H, W) in the estimator's ``clip_values``.
        :param y: ignored (the protection needs no labels).
        :param eps: another L-inf budget than the one PG was trained with (default: the trained one), e.g. for a
            budget sweep.
        :param saturate: ``clip(x + eps * sign(PG(x)))`` for this call (default: the defence's ``saturate``, or
            True for a PG trained for it, ``pg_output="sign"``).
        :return: protected images, float32, within ``eps`` of ``x``.
        """
        if eps is not None and not (np.isscalar(eps) and 0 < eps <= 1):
            raise ValueError(f"eps must be a number in (0, 1], got {eps!r}.")
        saturate = self._default_saturate if saturate is None else saturate
        if not isinstance(saturate, bool):
            raise ValueError(f"saturate must be a bool, got {saturate!r}.")
        x = self._check_x(x)
        if not self._fitted:
            self._use_shipped()
        eps = self.eps if eps is None else eps
        out = np.empty_like(x)
        self.pg.eval()
        device, cfg = self.estimator.device, self.config
        distributed.to_memory_format([self.pg], cfg.channels_last)
        with torch.no_grad(), distributed.autocast(device, cfg.precision):
            for start in range(0, len(x), self.batch_size):
                xb = distributed.to_layout(torch.as_tensor(x[start:start + self.batch_size], device=device),
                                           cfg.channels_last)
                protected = protect(self.pg, xb, eps, self._clip, saturate)
                out[start:start + self.batch_size] = protected.cpu().numpy()
        return out

    def _use_shipped(self) -> None:
        """The drop-in: a defence that was neither fitted nor loaded takes the shipped PG for its task at the
        estimator's input size (said once in the log), or raises; an untrained PG never protects anything."""
        name = pretrained.default_for(self.task, tuple(self.estimator.input_shape))
        if name is None:
            shipped = {n: (m["config"]["task"], tuple(m["input_shape"])) for n, m in pretrained.available().items()}
            raise ValueError(
                f"{type(self).__name__} has no trained PG: call fit(x, ...) first, load(path) a defence saved by "
                f"save() or `art-initiative train-defense`, or use from_pretrained(name). No shipped PG is for "
                f"task {self.task!r} at input shape {tuple(self.estimator.input_shape)} (shipped: {shipped}).")
        config, state, meta = pretrained.load_pretrained(name)
        self._adopt(config, state)
        self.pretrained = name
        logger.warning("%s was not fitted: protecting with the shipped PG %r (%s).", type(self).__name__, name,
                       meta["provenance"].get("summary", "see its .json"))

    def _adopt(self, config: InitiativeConfig, state: dict[str, torch.Tensor]) -> None:
        """Take a trained PG with its config (the eps it was trained at included)."""
        pg = build_pg(config, self.estimator.input_shape)
        pg.load_state_dict(state)
        self.config = config
        self.pg = pg.to(self.estimator.device).eval()
        self._fitted = True

    @classmethod
    def from_pretrained(cls, name: str | None = None, estimator: PyTorchImageTranslator | None = None,
                        batch_size: int = 128, verbose: bool = True, device_type: str = "cpu"
                        ) -> PerturbationGeneratorDefense:
        """A defence with a PG shipped in the package (:mod:`~art_initiative.attacks.initiative.pretrained`).

        :param name: a shipped PG's name (default: the default one for this class's task).
        :param estimator: the surrogate template (default: the architecture the PG was trained with, as its
            ``.json`` records); only its input shape matters for protecting.
        :param device_type: where to build the default template (``cpu`` or ``gpu``).
        :raises ValueError: an unknown name, a PG for another task, or an estimator of another input shape.
        """
        name = name or pretrained.default_for(cls.task)
        if name is None:
            raise ValueError(f"no shipped perturbation generator for task {cls.task!r}.")
        config, state, meta = pretrained.load_pretrained(name)
        if config.task != cls.task:
            raise ValueError(f"shipped PG {name!r} is for task {config.task!r}, not {cls.task!r}.")
        shape = tuple(meta["input_shape"])
        if estimator is None:
            sm = meta["provenance"]["surrogate"]
            model = build_model(sm["arch"], image_size=shape[1], width=sm["width"], c_dim=sm["c_dim"])
            estimator = PyTorchImageTranslator(model, input_shape=shape, c_dim=sm["c_dim"], device_type=device_type)
        if tuple(estimator.input_shape) != shape:
            raise ValueError(f"shipped PG {name!r} works at input shape {shape}, the estimator has "
                             f"{tuple(estimator.input_shape)}.")
        defence = cls(estimator, config, batch_size=batch_size, verbose=verbose, **meta["extra"])
        defence._adopt(config, state)
        defence.pretrained = name
        return defence

    def to_preprocessor(self, apply_fit: bool = False, apply_predict: bool = True) -> InitiativePreprocessor:
        """PG as an ART ``PreprocessorPyTorch``, for ``PyTorchImageTranslator(G, preprocessing_defences=[...])``
        (an unfitted defence takes the shipped PG first, as :meth:`generate` does)."""
        if not self._fitted:
            self._use_shipped()
        return InitiativePreprocessor(self.pg, self.eps, self._clip,
                                      device_type="gpu" if self.estimator.device.type == "cuda" else "cpu",
                                      apply_fit=apply_fit, apply_predict=apply_predict, batch_size=self.batch_size,
                                      saturate=self._default_saturate)

    # ------------------------------------------------------------------ persistence
    def _extra_config(self) -> dict[str, Any]:
        """Settings beyond :class:`InitiativeConfig` that :meth:`load` needs (subclasses add theirs)."""
        return {}

    def save(self, path: str | os.PathLike) -> None:
        """Write the trained PG with its config and input shape (``.pt`` + ``.json`` sidecar); under ``torchrun``
        only rank 0 writes (every rank holds the same PG)."""
        if not distributed.is_main():
            return
        config = {**asdict(self.config), "input_shape": list(self.estimator.input_shape),
                  "clip_values": [float(v) for v in self.estimator.clip_values], **self._extra_config()}
        save_checkpoint(path, config, {"pg": self.pg}, state={"fitted": self._fitted, **self.best})

    @staticmethod
    def _split_config(stored: dict[str, Any]) -> tuple[InitiativeConfig, tuple[int, ...], tuple[float, float],
                                                       dict[str, Any]]:
        cfg = dict(stored["config"])
        shape, clip = tuple(cfg.pop("input_shape")), tuple(cfg.pop("clip_values"))
        names = set(InitiativeConfig.__dataclass_fields__)
        extra = {k: cfg.pop(k) for k in list(cfg) if k not in names}
        return InitiativeConfig(**cfg), shape, clip, extra

    @classmethod
    def load_preprocessor(cls, path: str | os.PathLike, device_type: str = "gpu"
                          ) -> tuple[InitiativePreprocessor, tuple[int, ...]]:
        """Only the protection of a saved defence (no forger's model needed), with the input shape it expects.

        The preprocessor maps numpy batches too: ``x_protected, _ = pre(x)``.
        """
        stored = load_checkpoint(path)
        config, shape, clip, _ = cls._split_config(stored)
        pg = build_pg(config, shape)
        restore(stored, {"pg": pg})
        return InitiativePreprocessor(pg, config.eps, clip, device_type=device_type,
                                      saturate=config.saturated), shape

    @classmethod
    def _check_load_arguments(cls, config: InitiativeConfig, path: str | os.PathLike, kwargs: dict[str, Any]) -> None:
        """Refuse constructor arguments of :meth:`load` that contradict the saved ``config`` (none here)."""

    @classmethod
    def load(cls, path: str | os.PathLike, estimator: PyTorchImageTranslator, batch_size: int = 128,
             verbose: bool = True, **kwargs: Any) -> PerturbationGeneratorDefense:
        """Load a defence written by :meth:`save` for ``estimator`` (which must match its input shape).

        :param kwargs: further arguments of the class's constructor that the saved file does not hold (attribute
            editing: ``surrogates``, the models an ensemble PG was trained against, checked against its config's
            digests; ``refine_steps``...).
        """
        stored = load_checkpoint(path)
        config, shape, _, extra = cls._split_config(stored)
        if config.task != cls.task:
            raise ValueError(f"{path} holds a defence for {config.task!r}, not {cls.task!r}.")
        if tuple(estimator.input_shape) != shape:
            raise ValueError(f"the defence in {path} was trained for input shape {shape}, "
                             f"the estimator has {tuple(estimator.input_shape)}.")
        cls._check_load_arguments(config, path, kwargs)
        defence = cls(estimator, config, batch_size=batch_size, verbose=verbose, **extra, **kwargs)
        restore(stored, {"pg": defence.pg})
        defence.pg.eval()
        defence._fitted = bool(stored["state"].get("fitted", True))
        defence.best = {k: v for k, v in stored["state"].items() if k != "fitted"}
        return defence


# The old spelling, kept for one release: user-facing names follow ``InitiativeDefense``.
PerturbationGeneratorDefence = PerturbationGeneratorDefense
