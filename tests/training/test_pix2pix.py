import numpy as np
import pytest

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
