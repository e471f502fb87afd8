import numpy as np
import pytest

from art_initiative.data import SyntheticFaces
from art_initiative.metrics import classifier_accuracy
from art_initiative.training import load_attribute_classifier, train_attribute_classifier


def test_classifier_learns_hair_colour_and_reloads(tmp_path):
    faces = SyntheticFaces(240, 16, seed=0, attributes=("Black_Hair", "Blond_Hair", "Brown_Hair"))
    train, test = faces.split([200, 40])
    x, labels = train.arrays()
    xt, lt = test.arrays()
    clf = train_attribute_classifier(x, labels, width=8, iterations=150, device_type="cpu",
                                     checkpoint_path=tmp_path / "clf.pt")
    assert classifier_accuracy(clf, xt, lt) > 0.85  # chance (always "no") is about 0.78
    again = load_attribute_classifier(tmp_path / "clf.pt", device_type="cpu")
    assert classifier_accuracy(again, xt, lt) == classifier_accuracy(clf, xt, lt)


@pytest.mark.parametrize("kwargs,match", [
    (dict(labels=np.ones((3, 2))), "labels must have shape"),
    (dict(labels=np.full((4, 2), 0.5)), "0/1"),
    (dict(noise_std=-1.0), "noise_std"),
])
def test_bad_classifier_inputs(kwargs, match):
    x = np.zeros((4, 3, 16, 16), np.float32)
    args = dict(labels=np.zeros((4, 2)), iterations=1, device_type="cpu") | kwargs
    with pytest.raises(ValueError, match=match):
        train_attribute_classifier(x, **args)
