"""Whole photos at their own size: faces found and protected, everything else kept (real photos from scikit-image)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from art_initiative.defences.photo import PhotoProtector, face_crop_box, read_photo, save_photo
from art_initiative.defences.preprocessor import InitiativePreprocessor
from art_initiative.models import build_model

skdata = pytest.importorskip("skimage.data")
EPS = 0.05


@pytest.fixture(scope="module")
def protector() -> PhotoProtector:
    torch.manual_seed(0)
    pg = build_model("pg_unet", image_size=32, width=4, levels=2)
    pre = InitiativePreprocessor(pg, EPS, device_type="cpu")
    return PhotoProtector(lambda x: pre(x)[0], EPS, 32)


def _changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))


def test_face_crop_box_is_a_square_inside_the_photo():
    assert face_crop_box((100, 100, 200, 200), 512, 512) == (75, 60, 150)
    x0, y0, side = face_crop_box((0, 0, 90, 80), 100, 70)  # larger than the photo: shrunk and moved inside
    assert (x0, y0, side) == (10, 0, 70)
    x0, y0, side = face_crop_box((450, 400, 510, 500), 512, 512)
    assert x0 + side <= 512 and y0 + side <= 512 and side == 150


@pytest.mark.faces
def test_a_real_photo_keeps_its_size_and_only_the_face_changes(protector):
    pytest.importorskip("dlib")
    photo = Image.fromarray(skdata.astronaut())
    before = photo.tobytes()
    result = protector.protect(photo)
    assert photo.tobytes() == before  # the input is not changed
    assert result.image.size == (512, 512) and result.image.mode == "RGB" and not result.whole
    assert len(result.faces) == 1
    x0, y0, side = result.faces[0]
    diff = _changed(photo, result.image).max(axis=2)
    assert diff.max() <= np.floor(EPS * 127.5) and result.linf <= EPS  # the bound holds on the 8-bit pixels
    inside = np.zeros_like(diff, dtype=bool)
    inside[y0:y0 + side, x0:x0 + side] = True
    assert diff[~inside].max() == 0  # nothing outside the face crop moved
    assert (diff[inside] > 0).mean() > 0.5  # the face did
    assert 30 < result.psnr < 80


@pytest.mark.faces
def test_greyscale_rgba_and_faceless_photos(protector):
    pytest.importorskip("dlib")
    grey = Image.fromarray(skdata.astronaut()).convert("L")
    out = protector.protect(grey)
    assert out.image.mode == "L" and out.image.size == grey.size and len(out.faces) == 1
    assert _changed(grey, out.image).max() <= np.floor(EPS * 127.5)

    rgba = Image.fromarray(skdata.astronaut()).convert("RGBA")
    alpha = np.linspace(0, 255, 512 * 512).reshape(512, 512).astype(np.uint8)
    rgba.putalpha(Image.fromarray(alpha))
    out = protector.protect(rgba)
    assert out.image.mode == "RGBA" and np.array_equal(np.asarray(out.image)[..., 3], alpha)  # alpha untouched

    coffee = Image.fromarray(skdata.coffee())  # no face in it
    assert protector.protect(coffee).image is None
    whole = PhotoProtector(protector.perturb, EPS, 32, no_face="whole").protect(coffee)
    assert whole.whole and whole.image.size == coffee.size
    assert _changed(coffee, whole.image).max() <= np.floor(EPS * 127.5)


def test_whole_image_mode_needs_no_detector(protector):
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    out = PhotoProtector(protector.perturb, EPS, 32, region="whole").protect(photo)
    assert out.whole and out.image.size == (53, 37)
    diff = _changed(photo, out.image)
    assert 0 < diff.max() <= np.floor(EPS * 127.5)


def test_bad_photos_and_settings_get_clear_errors(protector, tmp_path):
    with pytest.raises(ValueError, match="at least 16 px"):
        PhotoProtector(protector.perturb, EPS, 32, region="whole").protect(Image.new("RGB", (5, 7)))
    with pytest.raises(ValueError, match="image mode must be one of"):
        protector.protect(Image.new("I;16", (64, 64)))
    with pytest.raises(ValueError, match="region must be one of"):
        PhotoProtector(protector.perturb, EPS, 32, region="face")
    with pytest.raises(ValueError, match="eps must be a number in"):
        PhotoProtector(protector.perturb, 2.0, 32)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ValueError, match="not a readable image"):
        read_photo(bad)
    with pytest.raises(FileNotFoundError, match="photo not found"):
        read_photo(tmp_path / "missing.png")


def test_save_photo_is_lossless_png_and_never_overwrites(tmp_path):
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), "RGBA")
    path = tmp_path / "out" / "a.png"
    save_photo(img, path)
    assert np.array_equal(np.asarray(read_photo(path)), np.asarray(img))
    with pytest.raises(FileExistsError):
        save_photo(img, path)
    save_photo(img, tmp_path / "a.jpg")  # on request, with a warning; alpha dropped
    assert Image.open(tmp_path / "a.jpg").format == "JPEG"
