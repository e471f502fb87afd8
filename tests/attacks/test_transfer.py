import numpy as np
import torch

from art_initiative.attacks import RuizDisruption, transfer_disruption
from art_initiative.estimators import PyTorchImageTranslator
from art_initiative.models import build_model

C = np.array([1, 0, 0, 1, 0], dtype=np.float32)


def test_surrogate_to_target_in_one_call(res6_translator, images):
    torch.manual_seed(1)
    target = PyTorchImageTranslator(build_model("res6", 32, 8, 5), (3, 32, 32), c_dim=5, device_type="cpu")
    attack = RuizDisruption(res6_translator, method="pgd", verbose=False)
    classes = [C, 1 - C]
    result = transfer_disruption(attack, target, images, classes)
    assert result.x_protected.shape == (2, *images.shape)
    assert result.clean_forgery.shape == result.infected_forgery.shape == (2, *images.shape)
    np.testing.assert_allclose(result.clean_forgery[1], target.predict(images, conditions=1 - C), atol=1e-6)
    np.testing.assert_allclose(result.infected_forgery[0], target.predict(result.x_protected[0], conditions=C),
                               atol=1e-6)
    assert result.mse() > 0 and result.seconds_per_image > 0
    # DSR is the share of pairs moved more than the threshold: all of them below their smallest MSE.
    pair_mse = ((result.clean_forgery - result.infected_forgery) ** 2).mean(axis=(2, 3, 4))
    assert result.dsr(threshold=0.999 * pair_mse.min()) == 1.0 and result.dsr(threshold=1.001 * pair_mse.max()) == 0.0
    # White-box (target = surrogate) disrupts the surrogate more than the transferred perturbation moves the target.
    white = transfer_disruption(attack, res6_translator, images, classes)
    assert white.mse() > result.mse()


def test_joint_protection_evaluated_under_every_class(res6_translator, images):
    attack = RuizDisruption(res6_translator, class_mode="joint", verbose=False)
    result = transfer_disruption(attack, res6_translator, images, [C, 1 - C], per_class=False)
    assert result.x_protected.shape == images.shape and result.infected_forgery.shape[0] == 2
