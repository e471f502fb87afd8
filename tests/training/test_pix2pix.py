import numpy as np
import pytest
import torch

from art_initiative.data import SyntheticTalkingFace
from art_initiative.training import load_pix2pix, train_pix2pix


@pytest.fixture(scope="module")
def talking():
    frames, sketches, _ = SyntheticTalkingFace(24, 16, seed=0).arrays()
    return sketches, frames


@pytest.mark.parametrize("arch", ["unet256", "res6"])
def test_pix2pix_learns_sketch_to_face(talking, arch):
    z, y = talking
    history = []
    G = train_pix2pix(z, y, arch=arch, width=8, iterations=80, batch_size=4, device_type="cpu", verbose=False,
                      callback=lambda it, losses: history.append(losses["g_l1"]))
    assert np.mean(history[-10:]) < 0.7 * np.mean(history[:10])
    assert G.c_dim == 0 and G.predict(z[:2]).shape == (2, 3, 16, 16)


def test_checkpoint_round_trip(talking, tmp_path):
    z, y = talking
    G = train_pix2pix(z, y, arch="cnet", width=4, iterations=3, batch_size=2, device_type="cpu", verbose=False,
                      checkpoint_path=tmp_path / "p.pt")
    np.testing.assert_array_equal(load_pix2pix(tmp_path / "p.pt", device_type="cpu").predict(z[:3]), G.predict(z[:3]))


def test_shape_mismatch(talking):
    z, y = talking
    with pytest.raises(ValueError, match="same shape"):
        train_pix2pix(z, y[:3], iterations=1, device_type="cpu", verbose=False)


def test_lr_decay_follows_pix2pix_schedule_and_is_checked():
    from art_initiative.training.pix2pix import Pix2PixConfig, pix2pix_lr

    cfg = Pix2PixConfig(iterations=10, lr=1.0, lr_decay_start=5)
    assert [round(pix2pix_lr(cfg, it), 3) for it in range(10)] == [1, 1, 1, 1, 1, 0.833, 0.667, 0.5, 0.333, 0.167]
    assert pix2pix_lr(Pix2PixConfig(iterations=10, lr=0.5), 9) == 0.5  # no decay by default
    z = np.zeros((4, 3, 16, 16), np.float32)
    with pytest.raises(ValueError, match="lr_decay_start must be an int in"):
        train_pix2pix(z, z, arch="res6", width=4, iterations=4, lr_decay_start=4, device_type="cpu", verbose=False)


def test_disc_layers_set_the_patchgan_patch_and_are_checked(tmp_path):
    from art_initiative.training.pix2pix import Pix2PixConfig, build_pix2pix

    def patches(cfg: Pix2PixConfig) -> tuple[int, int]:
        _, D = build_pix2pix(cfg)
        return tuple(D(torch.zeros(1, 6, 32, 32)).shape[2:])

    # pix2pix's default at 32 px: three stride-2 layers, a 2x2 map of patches that each see the whole image; one
    # layer: a 14x14 map of 16x16 patches.
    assert patches(Pix2PixConfig(arch="res6", image_size=32, width=4)) == (2, 2)
    assert patches(Pix2PixConfig(arch="res6", image_size=32, width=4, disc_layers=1)) == (14, 14)
    z = np.zeros((4, 3, 16, 16), np.float32)
    with pytest.raises(ValueError, match="disc_layers must be an int in"):
        train_pix2pix(z, z, arch="res6", width=4, iterations=1, disc_layers=6, device_type="cpu", verbose=False)
    path = tmp_path / "m.pt"
    train_pix2pix(z, z, arch="res6", width=4, iterations=1, disc_layers=1, device_type="cpu", verbose=False,
                  checkpoint_path=path)
    assert load_pix2pix(path, device_type="cpu").predict(z).shape == z.shape


def test_dropout_only_for_unets_and_outputs_stay_deterministic():
    z = np.random.default_rng(0).uniform(-1, 1, (4, 3, 16, 16)).astype(np.float32)
    with pytest.raises(ValueError, match="dropout applies to the U-Nets"):
        train_pix2pix(z, z, arch="res6", width=4, iterations=1, dropout=True, device_type="cpu", verbose=False)
    G = train_pix2pix(z, z, arch="unet128", width=4, iterations=2, dropout=True, device_type="cpu", verbose=False)
    assert any(isinstance(m, torch.nn.Dropout) for m in G.model.modules())
    np.testing.assert_array_equal(G.predict(z), G.predict(z))  # eval mode: dropout off
