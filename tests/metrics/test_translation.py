"""StarGAN's translation check: a classifier trained apart from the forger scores the edits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from art_initiative.data.domains import target_domains
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.metrics import (
    attribute_predictions,
    classifier_accuracy,
    clean_edit_distance,
    translation_accuracy,
)

ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")


class PixelClassifier(torch.nn.Module):
    """Reads attribute j from pixel (0, 0, j) of the red channel: a classifier whose decisions are known."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x[:, 0, 0, :5]


class Painter(torch.nn.Module):
    """A perfect editor for PixelClassifier: writes the requested attributes into pixels (0, 0, 0..4)."""

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        out[:, 0, 0, :5] = 2 * c - 1
        return out


class Copier(torch.nn.Module):
    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return x + 0 * c.sum()


@pytest.fixture
def faces() -> tuple[np.ndarray, np.ndarray]:
    labels = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 0, 1, 1], [0, 0, 1, 0, 0]], np.float32)
    x = np.zeros((4, 3, 8, 8), np.float32)
    x[:, 0, 0, :5] = 2 * labels - 1
    return x, labels


def test_classifier_reads_the_labels(faces):
    x, labels = faces
    np.testing.assert_array_equal(attribute_predictions(PixelClassifier(), x), labels)
    assert classifier_accuracy(PixelClassifier(), x, labels) == 1.0


def test_a_perfect_editor_scores_full_marks_and_a_copier_none(faces):
    x, labels = faces
    perfect = translation_accuracy(PyTorchImageTranslator(Painter(), (3, 8, 8), c_dim=5, device_type="cpu"),
                                   PixelClassifier(), x, labels, ATTRS)
    copy = translation_accuracy(PyTorchImageTranslator(Copier(), (3, 8, 8), c_dim=5, device_type="cpu"),
                                PixelClassifier(), x, labels, ATTRS)
    assert set(perfect) == set(ATTRS)
    for name in ATTRS:
        assert perfect[name]["edited"] == 1.0 and perfect[name]["input"] == 0.0
        assert copy[name]["edited"] == 0.0 and copy[name]["input"] == 0.0
    # Only images whose requested domain changes the attribute count: 3 of 4 faces are not Black_Hair.
    assert perfect["Black_Hair"]["n"] == 3 and perfect["Male"]["n"] == 4


def test_clean_edit_distance_is_the_mse_between_two_editors_edits(faces):
    x, labels = faces
    domains = target_domains(labels, ATTRS)
    painter = PyTorchImageTranslator(Painter(), (3, 8, 8), c_dim=5, device_type="cpu")
    copier = PyTorchImageTranslator(Copier(), (3, 8, 8), c_dim=5, device_type="cpu")
    assert clean_edit_distance(painter, painter, x, domains) == 0.0
    # The painter rewrites the 5 attribute pixels of the red channel; where a request changes one of them the
    # copier leaves it: one pixel of 3 * 8 * 8 differs by 2 for each changed attribute.
    changed = sum(float(np.sum(painter.predict(x, conditions=c)[:, 0, 0, :5] != x[:, 0, 0, :5])) for c in domains)
    expected = changed * 4 / (3 * 8 * 8) / (len(x) * len(domains))
    assert clean_edit_distance(painter, copier, x, domains) == pytest.approx(expected)
    edits = np.concatenate([painter.predict(x, conditions=c) for c in domains])
    assert clean_edit_distance(edits, copier, x, domains) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"a as forgeries must hold len\(domains\) \* len\(x\) = 20 images, got 4"):
        clean_edit_distance(edits[:4], copier, x, domains)
    with pytest.raises(ValueError, match="needs faces and requests"):
        clean_edit_distance(painter, copier, x[:0], domains)
