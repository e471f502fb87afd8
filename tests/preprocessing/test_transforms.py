import numpy as np
import pytest
import torch

from art_initiative.data import SyntheticFaces
from art_initiative.preprocessing import TRANSFORMS, apply_transform, check_transform, differentiable_transform

PARAMS = {"jpeg": 75, "blur": 1.0, "resize": 0.5, "shift": 2, "photo": 5.5}


@pytest.fixture(scope="module")
def faces():
    return SyntheticFaces(6, 32, seed=0).arrays()[0]


@pytest.mark.parametrize("name", TRANSFORMS)
def test_each_transform_is_differentiable(name, faces):
    x = torch.from_numpy(faces).requires_grad_(True)
    y = differentiable_transform(x, name, PARAMS[name])
    assert y.shape == x.shape and float(y.detach().min()) >= -1 and float(y.detach().max()) <= 1
    (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", TRANSFORMS)
def test_each_transform_changes_the_image_and_keeps_its_shape(name, faces):
    y = apply_transform(faces, name, PARAMS[name])
    assert y.shape == faces.shape and y.dtype == np.float32
    assert 0 < np.abs(y - faces).mean() < 0.2


def test_parameters_that_change_nothing(faces):
    np.testing.assert_array_equal(apply_transform(faces, "blur", 0), faces)
    np.testing.assert_array_equal(apply_transform(faces, "resize", 1.0), faces)
    np.testing.assert_array_equal(apply_transform(faces, "shift", 0), faces)
    np.testing.assert_array_equal(apply_transform(faces, "photo", 1.0), faces)
    # quality 100 still rounds to 8 bits and halves the chroma resolution (4:2:0), but changes far less than 75
    q100, q75 = (np.abs(apply_transform(faces, "jpeg", q) - faces).mean() for q in (100, 75))
    assert q100 < 0.6 * q75


def test_shift_moves_the_crop_by_whole_pixels(faces):
    y = apply_transform(faces, "shift", 2)
    np.testing.assert_allclose(y[..., 2:, 2:], faces[..., :-2, :-2], atol=1e-6)


def test_the_photo_round_trip_is_the_protector_and_the_forger_pipeline(faces):
    # PhotoProtector: nearest blocks up to the crop; the forger: Pillow's bicubic downscale of the crop
    from PIL import Image

    from art_initiative.data.io import from_uint8_hwc, to_uint8_hwc

    side = round(32 * 5.5)
    up = torch.nn.functional.interpolate(torch.from_numpy(faces), size=(side, side), mode="nearest").numpy()
    pil = np.stack([from_uint8_hwc(np.asarray(Image.fromarray(to_uint8_hwc(u)).resize((32, 32), Image.BICUBIC)))
                    for u in up])
    ours = apply_transform(faces, "photo", 5.5)
    assert np.abs(ours - pil).max() < 3 / 127.5  # 8-bit rounding of Pillow's path, nothing more


def test_the_photo_round_trip_keeps_blocks_and_loses_pixel_noise():
    rng = np.random.default_rng(0)
    pixel = np.sign(rng.uniform(-1, 1, (2, 3, 32, 32))).astype(np.float32) * 0.05
    blocks = np.repeat(np.repeat(pixel[..., ::4, ::4], 4, axis=2), 4, axis=3)
    kept = [np.abs(apply_transform(d, "photo", 6.3)).mean() / 0.05 for d in (pixel, blocks)]
    assert kept[0] < 0.75 < 0.9 < kept[1]  # measured: 69% and 93% of the L1 arrive


def test_lower_jpeg_quality_and_more_blur_change_more(faces):
    jpeg = [np.abs(apply_transform(faces, "jpeg", q) - faces).mean() for q in (95, 75, 30)]
    blur = [np.abs(apply_transform(faces, "blur", s) - faces).mean() for s in (0.5, 1.0, 2.0)]
    assert jpeg == sorted(jpeg) and blur == sorted(blur)


def test_the_differentiable_jpeg_approximates_the_real_codec(faces):
    real = apply_transform(faces, "jpeg", 75)
    approx = differentiable_transform(torch.from_numpy(faces), "jpeg", 75).numpy()
    assert np.abs(real - approx).mean() < 0.5 * np.abs(real - faces).mean()


@pytest.mark.parametrize("name, param, match", [
    ("jpeg", 0, "quality must be an int in 1..100"), ("jpeg", 101, "1..100"), ("jpeg", 75.5, "1..100"),
    ("blur", -0.5, "sigma must be >= 0"), ("resize", 0, r"scale must lie in \(0, 1\]"),
    ("resize", 1.5, r"\(0, 1\]"), ("shift", -1, "shift must be a whole number"), ("shift", 1.5, "whole number"),
    ("photo", 0.5, "upscale factor must be >= 1"),
    ("jpeg", float("nan"), "finite number"), ("jpeg", True, "finite number"), ("sharpen", 1, "transform must be"),
])
def test_bad_parameters_are_named(name, param, match):
    with pytest.raises(ValueError, match=match):
        check_transform(name, param)


def test_bad_images_are_named(faces):
    with pytest.raises(ValueError, match="x must lie in"):
        apply_transform(faces * 3, "blur", 1.0)
    with pytest.raises(ValueError, match="3 channels"):
        apply_transform(faces[:, :1], "jpeg", 75)
