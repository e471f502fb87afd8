"""``InitiativePreprocessor``: apply a trained perturbation generator, ``x' = clip(x + eps * PG(x))``, inside
an ART estimator's pipeline (with a gradient path, as a ``PreprocessorPyTorch``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from art.defences.preprocessor.preprocessor import PreprocessorPyTorch

from art_initiative.models.perturbation import protect
from art_initiative.utils.validation import unchanged_on_error


class InitiativePreprocessor(PreprocessorPyTorch):
    """Protect the inputs of an estimator with a trained PG: ``PyTorchImageTranslator(G,
    preprocessing_defences=[InitiativePreprocessor(pg, eps)])`` is a protected pipeline whose gradients flow
    through PG.

    :param pg: the perturbation generator (kept in eval mode).
    :param eps: perturbation size.
    :param clip_values: the images' range.
    :param apply_fit: apply when the estimator is fitted.
    :param apply_predict: apply when the estimator predicts.
    :param batch_size: images per forward pass when called on a numpy batch (``x_protected, _ = pre(x)``), so
        that a large array does not have to fit on the device at once.
    :param saturate: ``clip(x + eps * sign(PG(x)))``, PG's direction at the full budget (gradients pass through
        the sign as through the identity).
    """

    params = ["eps", "clip_values", "batch_size", "saturate"]

    def __init__(self, pg: torch.nn.Module, eps: float = 0.05, clip_values: tuple[float, float] = (-1.0, 1.0),
                 device_type: str = "gpu", apply_fit: bool = False, apply_predict: bool = True,
                 batch_size: int = 128, saturate: bool = False) -> None:
        super().__init__(device_type=device_type, is_fitted=True, apply_fit=apply_fit, apply_predict=apply_predict)
        if not isinstance(pg, torch.nn.Module):
            raise ValueError(f"pg must be a torch.nn.Module, got {type(pg).__name__}.")
        self.pg = pg.to(self.device).eval()
        self.eps = eps
        self.clip_values = clip_values
        self.batch_size = batch_size
        self.saturate = saturate
        self._check_params()

    @classmethod
    def from_pretrained(cls, name: str | None = None, device_type: str = "cpu", task: str = "attribute_editing"
                        ) -> tuple[InitiativePreprocessor, tuple[int, ...]]:
        """A shipped PG (:mod:`~art_initiative.attacks.initiative.pretrained`) as a preprocessor, with the input
        shape (C, H, W) it works at.

        :param name: a shipped PG's name (default: the default one for ``task``).
        :raises ValueError: an unknown name, or no shipped PG for ``task``.
        """
        from art_initiative.attacks.initiative import pretrained
        from art_initiative.attacks.initiative.base import build_pg

        name = name or pretrained.default_for(task)
        if name is None:
            raise ValueError(f"no shipped perturbation generator for task {task!r}.")
        config, state, meta = pretrained.load_pretrained(name)
        shape = tuple(meta["input_shape"])
        pg = build_pg(config, shape)
        pg.load_state_dict(state)
        return cls(pg, config.eps, tuple(meta["clip_values"]), device_type=device_type), shape

    def set_params(self, **kwargs: Any) -> None:
        """Change ``eps`` / ``clip_values`` / ``batch_size`` / ``saturate`` (checked); on a bad value nothing
        changes."""
        with unchanged_on_error(self, self.params):
            super().set_params(**kwargs)

    def _check_params(self) -> None:
        if isinstance(self.eps, bool) or not isinstance(self.eps, (int, float)) or not self.eps > 0:
            raise ValueError(f"eps must be a number > 0, got {self.eps!r}.")
        clip = self.clip_values
        if clip is None or len(clip) != 2 or not float(clip[0]) < float(clip[1]):
            raise ValueError(f"clip_values must be (min, max) with min < max, got {clip!r}.")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {self.batch_size!r}.")
        if not isinstance(self.saturate, bool):
            raise ValueError(f"saturate must be a bool, got {self.saturate!r}.")
        self.eps = float(self.eps)
        self.clip_values = (float(clip[0]), float(clip[1]))

    def __call__(self, x: np.ndarray, y: Any = None) -> tuple[np.ndarray, Any]:
        """Protect a numpy batch, ``batch_size`` images per forward pass (``y`` passes through: PG needs no
        labels)."""
        protect_batch = super().__call__
        return np.concatenate([protect_batch(x[i:i + self.batch_size])[0]
                               for i in range(0, max(len(x), 1), self.batch_size)]), y

    def forward(self, x: torch.Tensor, y: Any = None) -> tuple[torch.Tensor, Any]:
        """Protect a tensor batch, differentiably (ART's ``PreprocessorPyTorch`` contract; ``y`` passes through).

        :param x: images, NCHW in the clip values.
        :param y: labels, returned unchanged.
        """
        self.pg.eval()
        return protect(self.pg, x.float(), self.eps, self.clip_values, self.saturate), y
