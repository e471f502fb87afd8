import numpy as np
import pytest

from art_initiative.metrics import defense_success_rate, l1, mse, psnr, ssim


def test_mse_l1_psnr_by_hand():
    x = np.zeros((2, 3, 4, 4), np.float32)
    y = x.copy()
    y[0] += 0.1
    y[1, 0, 0, 0] = 1.0
    np.testing.assert_allclose(mse(x, y), [0.01, 1.0 / 48], rtol=1e-6)
    np.testing.assert_allclose(l1(x, y), [0.1, 1.0 / 48], rtol=1e-6)
    np.testing.assert_allclose(psnr(x, y)[0], 10 * np.log10(4 / 0.01), rtol=1e-6)
    assert psnr(x, x)[0] == np.inf


def test_ssim_is_one_for_identical_and_drops_with_noise(images, rng):
    assert ssim(images, images) == pytest.approx(np.ones(4))
    noisy = np.clip(images + rng.normal(0, 0.3, images.shape), -1, 1).astype(np.float32)
    assert (ssim(images, noisy) < 0.9).all()


def test_dsr_counts_pairs_above_threshold():
    y = np.zeros((4, 3, 8, 8), np.float32)
    y2 = y.copy()
    y2[0] += 0.3   # mse 0.09 -> success
    y2[1] += 0.2   # mse 0.04 -> not at 0.05
    y2[2] += 0.5   # mse 0.25 -> success
    assert defense_success_rate(y, y2) == 0.5
    assert defense_success_rate(y, y2, threshold=0.01) == 0.75
    assert defense_success_rate(y, y2, metric="l1") == 0.75


@pytest.mark.parametrize("kwargs,match", [(dict(metric="l2"), "metric must be"), (dict(threshold=-1), "threshold")])
def test_dsr_bad_arguments(kwargs, match):
    y = np.zeros((1, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match=match):
        defense_success_rate(y, y, **kwargs)


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match="same shape"):
        mse(np.zeros((1, 3, 4, 4), np.float32), np.zeros((2, 3, 4, 4), np.float32))
