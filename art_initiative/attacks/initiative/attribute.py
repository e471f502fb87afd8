"""``InitiativeDefense``: the learned perturbation generator of Huang et al. (AAAI 2021) for attribute editing."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from art_initiative.attacks.initiative.algorithm import DefenceNetworks, fresh_copy
from art_initiative.attacks.initiative.attribute_training import train_defence
from art_initiative.attacks.initiative.base import PerturbationGeneratorDefense
from art_initiative.attacks.initiative.config import InitiativeConfig
from art_initiative.attacks.initiative.refine import edit_requests, refine_protection
from art_initiative.data.synthetic import PAPER_ATTRIBUTES
from art_initiative.estimators import PyTorchImageTranslator, check_companions
from art_initiative.models import build_model
from art_initiative.utils.digest import module_digest


class InitiativeDefense(PerturbationGeneratorDefense):
    """Protect faces against a StarGAN-like attribute editor with one forward pass of a trained generator PG:
    ``x' = clip(x + eps * PG(x))``.

    | Paper link: https://arxiv.org/abs/2112.10098

    :param estimator: the surrogate SM: a model of the forger's architecture and attribute domains (gray-box
        knowledge). SM starts from its weights, so a surrogate the user trained is fitted on (cheap); the setting
        ``sm_init="fresh"`` starts from new random weights instead (the paper's protocol, which the benchmark
        uses). The estimator itself is never changed.
    :param profile: ``"paper"``, ``"cpu"``, ``"tiny"`` or an :class:`InitiativeConfig`.
    :param attributes: names of the estimator's ``c_dim`` attributes (hair colours are one-hot domains).
    :param batch_size: images per forward pass in :meth:`generate`.
    :param verbose: progress bars.
    :param saturate: publish ``clip(x + eps * sign(PG(x)))`` (PG's direction at the full budget) instead of the
        paper's ``clip(x + eps * PG(x))``; training is unchanged.
    :param refine_steps: after PG's forward pass, this many signed-gradient steps on the estimator (the surrogate,
        with its weights), starting at PG's output (:mod:`~art_initiative.attacks.initiative.refine`; not the
        paper's, which publishes PG's output: 0, the default). Each step costs a forward and backward pass of the
        surrogate per edit request and step; the docs' results measure the trade (one or two steps).
    :param refine_step_size: size of each refinement step (default ``eps / refine_steps``).
    :param refine_requests: edit requests per refinement step (default None: all of a face's requests at every
        step). With m of K requests a step costs m/K as much; the steps take the requests in turn, and the faces
        of a batch different ones (:func:`~art_initiative.attacks.initiative.refine.rotated_requests`).
    :param surrogates: further trained models (the estimator's input shape and ``c_dim``) that PG is trained against
        as well, frozen: each PG step's influence term is the mean over SM and them (an ensemble of surrogates, as
        CMUA-Watermark uses across editors; not the paper's). For example the defender's own fine-tunings of a
        released model, which stand in for where a forger's fine-tuning goes (docs' results). Their weights
        digests are stored in the config (``surrogate_digests``), so a resumed or cached run meets the same
        ones; :meth:`generate` does not need them, but its refinement steps, when asked for, take the gradients of
        the estimator and of every one of them (``load(path, estimator, surrogates=[...])`` gives them to a saved
        defence).
    :param overrides: settings of :class:`InitiativeConfig` that replace the profile's (``eps=0.03``...).
    """

    task = "attribute_editing"
    attack_params = PerturbationGeneratorDefense.attack_params + ["refine_steps", "refine_step_size",
                                                                   "refine_requests"]

    def __init__(self, estimator: PyTorchImageTranslator, profile: str | InitiativeConfig = "paper",
                 attributes: Sequence[str] = PAPER_ATTRIBUTES, batch_size: int = 128, verbose: bool = True,
                 refine_steps: int = 0, refine_step_size: float | None = None, refine_requests: int | None = None,
                 surrogates: Sequence[PyTorchImageTranslator] = (), **overrides: Any) -> None:
        self.attributes = tuple(attributes)
        self.refine_steps = refine_steps
        self.refine_step_size = refine_step_size
        self.refine_requests = refine_requests
        self.surrogates = tuple(surrogates)
        digests = _surrogate_digests(estimator, self.surrogates)
        if digests:
            stored = overrides.get("surrogate_digests", profile.surrogate_digests
                                   if isinstance(profile, InitiativeConfig) else "")
            if stored and stored != digests:
                raise ValueError(f"surrogates have the weights digests {digests!r}, the config was made with "
                                 f"{stored!r}: pass the surrogates it was trained with.")
            overrides["surrogate_digests"] = digests
        super().__init__(estimator, profile, batch_size=batch_size, verbose=verbose, **overrides)
        self._check_params()

    @classmethod
    def _check_load_arguments(cls, config: InitiativeConfig, path: str | os.PathLike, kwargs: dict[str, Any]) -> None:
        """``surrogates`` given to :meth:`load` for a defence trained without any are refused (its config would
        otherwise claim them); for one trained with some, the constructor checks that they are the same."""
        if kwargs.get("surrogates") and not config.surrogate_digests:
            raise ValueError(f"the defence in {path} was trained without further surrogates; load it without "
                             f"surrogates=, got {len(kwargs['surrogates'])}.")

    def _check_params(self) -> None:
        if self.estimator.c_dim != len(self.attributes):
            raise ValueError(f"attributes must name the estimator's {self.estimator.c_dim} attributes, "
                             f"got {len(self.attributes)}: {list(self.attributes)}.")
        _check_refinement(self.refine_steps, self.refine_step_size, self.refine_requests)
        super()._check_params()

    def generate(self, x: np.ndarray, y: np.ndarray | None = None, eps: float | None = None,
                 saturate: bool | None = None, refine_steps: int | None = None,
                 conditions: Sequence[np.ndarray] | None = None, refine_requests: int | None = None,
                 **kwargs: Any) -> np.ndarray:
        """Protect images: ``clip(x + eps * PG(x))``, one forward pass per batch, then ``refine_steps``
        signed-gradient steps on the surrogate if asked.

        :param x: images (N, C, H, W) in the estimator's ``clip_values``.
        :param y: the images' own attributes (N, c_dim), 0/1: only the refinement uses them, to choose the edit
            requests it disrupts (each attribute flipped); without them each attribute alone switched on.
        :param eps: another L-inf budget than the one PG was trained with (default: the trained one).
        :param saturate: ``clip(x + eps * sign(PG(x)))`` for this call (default: the defence's ``saturate``, or
            True for a PG trained for it, ``pg_output="sign"``).
        :param refine_steps: refinement steps for this call (default: the defence's ``refine_steps``).
        :param conditions: the refinement's edit requests, one (N, c_dim) array each (default: from ``y``).
        :param refine_requests: edit requests per refinement step for this call (default: the defence's
            ``refine_requests``; its None means all).
        :return: protected images, float32, within ``eps`` of ``x``.
        """
        steps = self.refine_steps if refine_steps is None else refine_steps
        per_step = self.refine_requests if refine_requests is None else refine_requests
        _check_refinement(steps, self.refine_step_size, per_step)
        if steps == 0:
            return super().generate(x, eps=eps, saturate=saturate)
        x = self._check_x(x)
        requests = list(conditions) if conditions is not None else edit_requests(y, self.attributes, len(x))
        protected = super().generate(x, eps=eps, saturate=saturate)
        eps = self.eps if eps is None else eps
        step = self.refine_step_size if self.refine_step_size is not None else eps / steps
        return refine_protection(self.estimator, x, protected, requests, eps, steps, step,
                                 batch_size=self.batch_size, requests_per_step=per_step, surrogates=self.surrogates)

    def _extra_config(self) -> dict[str, Any]:
        return {"attributes": list(self.attributes)}

    # ------------------------------------------------------------------ training
    def _networks(self) -> DefenceNetworks:
        cfg, est = self.config, self.estimator
        size = est.input_shape[1]
        sm = (fresh_copy(est.model, cfg.seed) if cfg.sm_init == "fresh" else copy.deepcopy(est.model))
        sm = sm.to(est.device).train()
        sm_prev = copy.deepcopy(sm)
        torch.manual_seed(cfg.seed + 1)
        d_a = build_model("stargan_disc", image_size=size, width=cfg.sm_disc_width, c_dim=est.c_dim).to(est.device)
        nets = self._assemble(sm, d_a, sm_prev, copy.deepcopy(d_a) if cfg.snapshot == "iteration" else None)
        nets.surrogates = [copy.deepcopy(s.model).to(est.device).eval() for s in self.surrogates]
        return nets

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
        if cfg.surrogate_digests != _surrogate_digests(est, self.surrogates):
            n = len(cfg.surrogate_digests.split(","))
            raise ValueError(f"this defence's config names {n} further surrogates ({cfg.surrogate_digests}); build it "
                             f"with surrogates=[...] (the same models) to fit it.")
        x = self._check_x(x)
        if y is None:
            raise ValueError(f"y (the images' own attributes, shape ({len(x)}, {est.c_dim})) is required.")
        y = np.asarray(y, dtype=np.float32)
        if y.shape != (len(x), est.c_dim) or not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"y must be 0/1 attributes of shape ({len(x)}, {est.c_dim}), got {y.shape}.")
        if x_val is None:
            x_val, y_val = x[-cfg.batch_size:], y[-cfg.batch_size:]
        x_val = self._check_x(x_val, "x_val")
        y_val = np.asarray(y_val, dtype=np.float32)
        if y_val.shape != (len(x_val), est.c_dim):
            raise ValueError(f"y_val must have shape ({len(x_val)}, {est.c_dim}), got {y_val.shape}.")
        self._train(lambda nets, record: train_defence(nets, x, y, self.attributes, x_val, y_val, cfg, est.device,
                                                       self._clip, checkpoint_path, resume, self.verbose, record),
                    callback)
        return self


def surrogate_digests(surrogates: Sequence[PyTorchImageTranslator]) -> str:
    """The comma-separated weights digests of further surrogates, as a defence trained against them records them
    in its config (``surrogate_digests``; "" for none)."""
    return ",".join(module_digest(s.model) for s in surrogates)


def _surrogate_digests(estimator: PyTorchImageTranslator, surrogates: Sequence[Any]) -> str:
    """:func:`surrogate_digests`, after checking that each surrogate can stand beside the estimator
    (:func:`~art_initiative.estimators.check_companions`)."""
    check_companions(estimator, surrogates)
    return surrogate_digests(surrogates)


def _check_refinement(steps: Any, step_size: Any, per_step: Any = None) -> None:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"refine_steps must be an int >= 0, got {steps!r}.")
    if step_size is not None and (isinstance(step_size, bool) or not isinstance(step_size, (int, float, np.floating))
                                  or not 0 < step_size <= 1):
        raise ValueError(f"refine_step_size must be None or a number in (0, 1], got {step_size!r}.")
    if per_step is not None and (isinstance(per_step, bool) or not isinstance(per_step, (int, np.integer))
                                 or per_step < 1):
        raise ValueError(f"refine_requests must be None or an int >= 1 (edit requests per step), got {per_step!r}.")
