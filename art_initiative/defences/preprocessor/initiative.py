"""``InitiativePreprocessor``: apply a trained perturbation generator, ``x' = clip(x + eps * PG(x))``, inside
an ART estimator's pipeline (with a gradient path, as a ``PreprocessorPyTorch``)."""

from __future__ import annotations

from typing import Any

import torch
from art.defences.preprocessor.preprocessor import PreprocessorPyTorch


def protect(pg: torch.nn.Module, x: torch.Tensor, eps: float, clip_values: tuple[float, float]) -> torch.Tensor:
    """The protection of the paper: ``clip(x + eps * PG(x), clip_min, clip_max)``.

    ``|x' - x| <= eps`` because PG ends in tanh.
    """
    return torch.clamp(x + eps * pg(x), clip_values[0], clip_values[1])


class InitiativePreprocessor(PreprocessorPyTorch):
    """Protect the inputs of an estimator with a trained PG: ``PyTorchImageTranslator(G,
    preprocessing_defences=[InitiativePreprocessor(pg, eps)])`` is a protected pipeline whose gradients flow
    through PG.

    :param pg: the perturbation generator (kept in eval mode).
    :param eps: perturbation size.
    :param clip_values: the images' range.
    :param apply_fit: apply when the estimator is fitted.
    :param apply_predict: apply when the estimator predicts.
    """

    params = ["eps", "clip_values"]

    def __init__(self, pg: torch.nn.Module, eps: float = 0.05, clip_values: tuple[float, float] = (-1.0, 1.0),
                 device_type: str = "gpu", apply_fit: bool = False, apply_predict: bool = True) -> None:
        super().__init__(device_type=device_type, is_fitted=True, apply_fit=apply_fit, apply_predict=apply_predict)
        if not isinstance(pg, torch.nn.Module):
            raise ValueError(f"pg must be a torch.nn.Module, got {type(pg).__name__}.")
        if not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"eps must be a number > 0, got {eps!r}.")
        self.pg = pg.to(self.device).eval()
        self.eps = float(eps)
        self.clip_values = (float(clip_values[0]), float(clip_values[1]))

    def forward(self, x: torch.Tensor, y: Any = None) -> tuple[torch.Tensor, Any]:
        self.pg.eval()
        return protect(self.pg, x.float(), self.eps, self.clip_values), y
