"""Does a forger edit at all? StarGAN's classifier check, landmarks re-measured on real-photo edits, and the
rendered ground truth of synthetic faces.

A target that does not edit is not a target: every calibration record carries these checks beside the DSR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from art_initiative.data.domains import target_domains
from art_initiative.metrics.distortion import mse

if TYPE_CHECKING:
    from art_initiative.data import SyntheticFaces
    from art_initiative.estimators import PyTorchImageTranslator


def attribute_predictions(classifier: torch.nn.Module, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The classifier's 0/1 decision per attribute for images ``x`` (N, 3, H, W) in [-1, 1], shape (N, A)."""
    device = next(classifier.parameters()).device
    mode = classifier.training
    classifier.eval()
    out = []
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                xb = torch.as_tensor(np.asarray(x[start:start + batch_size], dtype=np.float32), device=device)
                out.append((classifier(xb) > 0).cpu().numpy())
    finally:
        classifier.train(mode)
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), np.float32)


def translation_accuracy(G: PyTorchImageTranslator, judge: torch.nn.Module | Callable[[np.ndarray], np.ndarray],
                         x: np.ndarray, labels: np.ndarray, attributes: Sequence[str]) -> dict[str, dict[str, float]]:
    """StarGAN's evaluation: per attribute ``j``, over the images whose requested domain ``c_j`` changes
    attribute ``j``, how often the judge assigns the requested value to ``G(x, c_j)`` (``edited``) and
    how often it already assigns it to the unchanged input (``input``).

    :param G: the forger's translator, conditioned on ``len(attributes)`` attributes.
    :param judge: an attribute classifier trained on real images with the same attribute columns, or any function
        from images (N, 3, H, W) to 0/1 labels (N, A), e.g. labels re-measured from landmarks
        (:class:`~art_initiative.data.expressions.CropExpressionLabeller`).
    :param labels: the images' own attributes (N, A), 0/1.
    :return: ``{attribute: {"edited": float, "input": float, "n": int}}``; attributes that no image can change
        are left out.
    """
    predict = (lambda images: attribute_predictions(judge, images)) if isinstance(judge, torch.nn.Module) else judge
    labels = np.asarray(labels, dtype=np.float32)
    on_input = predict(x)
    out: dict[str, dict[str, float]] = {}
    for j, (name, c) in enumerate(zip(attributes, target_domains(labels, attributes), strict=True)):
        changed = c[:, j] != labels[:, j]
        if not changed.any():
            continue
        edited = predict(G.predict(x[changed], conditions=c[changed]))
        out[name] = {"edited": float(np.mean(edited[:, j] == c[changed, j])),
                     "input": float(np.mean(on_input[changed, j] == c[changed, j])), "n": int(changed.sum())}
    return out


def classifier_accuracy(classifier: torch.nn.Module, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of (image, attribute) decisions of ``classifier`` on real images that match ``labels``."""
    return float(np.mean(attribute_predictions(classifier, x) == np.asarray(labels, dtype=np.float32)))


def translation_errors(G: PyTorchImageTranslator, faces: SyntheticFaces, x: np.ndarray, labels: np.ndarray
                       ) -> dict[str, dict[str, float]]:
    """Synthetic faces only: per attribute, the MSE of ``G(x, c_j)`` and of the unchanged input to the rendered
    ground truth of ``c_j`` (over images that ``c_j`` changes). A translator that learned the attribute has a
    model error well below the input's; for subtle attributes the input is already close, so this check alone
    cannot decide.
    """
    out = {}
    for name, c in zip(faces.attributes, target_domains(labels, faces.attributes), strict=True):
        changed = np.any(c != labels, axis=1)
        if not changed.any():
            continue
        truth = np.stack([faces.render(i, c[i]) for i in np.flatnonzero(changed)])
        pred = G.predict(x[changed], conditions=c[changed])
        out[name] = {"model_mse": float(mse(pred, truth).mean()), "input_mse": float(mse(x[changed], truth).mean()),
                     "n": int(changed.sum())}
    return out


def clean_edit_distance(a: PyTorchImageTranslator | np.ndarray, b: PyTorchImageTranslator | np.ndarray,
                        x: np.ndarray, domains: Sequence[np.ndarray]) -> float:
    """How far apart two translators' edits of the same clean faces are: the mean MSE between ``a(x, c)`` and
    ``b(x, c)`` over every (face, request) pair of ``domains``.

    A fine-tuning of a model stays near the function it started from; a model trained from other random weights
    need not, and a perturbation computed on one of two models carried over to the other only where this distance
    was small (``benchmarks/transfer_length.py``). Either model may be given as its forgeries already computed:
    an array of ``len(domains) * len(x)`` images, the requests in turn.

    :param a: a translator, or its forgeries of ``x`` under each request of ``domains``, concatenated.
    :param b: the same for the other translator.
    :param x: the clean faces.
    :param domains: the target domain vectors, one array of shape ``(len(x), c_dim)`` per request.
    """
    if len(x) == 0 or len(domains) == 0:
        raise ValueError(f"clean_edit_distance needs faces and requests, got {len(x)} faces and {len(domains)} "
                         "requests.")

    def forgeries(model: PyTorchImageTranslator | np.ndarray, name: str) -> np.ndarray:
        if isinstance(model, np.ndarray):
            if len(model) != len(x) * len(domains):
                raise ValueError(f"{name} as forgeries must hold len(domains) * len(x) = {len(x) * len(domains)} "
                                 f"images, got {len(model)}.")
            return model
        return np.concatenate([model.predict(x, conditions=c) for c in domains])

    return float(mse(forgeries(a, "a"), forgeries(b, "b")).mean())
