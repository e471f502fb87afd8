import numpy as np
import pytest

from art_initiative.data import ALL_ATTRIBUTES, PAPER_ATTRIBUTES, SyntheticFaces, SyntheticTalkingFace
from art_initiative.data.render import Identity, Look, Pose, face_landmarks


def test_deterministic_per_seed_and_index():
    a, b = SyntheticFaces(10, 32, seed=1), SyntheticFaces(10, 32, seed=1)
    np.testing.assert_array_equal(a.render(3), b.render(3))
    np.testing.assert_array_equal(a.labels(), b.labels())
    assert not np.array_equal(a.render(3), SyntheticFaces(10, 32, seed=2).render(3))
    assert not np.array_equal(a.render(3), a.render(4))


def test_shapes_ranges_any_size():
    for size in (16, 64, 128):
        x, y = SyntheticFaces(3, size).arrays()
        assert x.shape == (3, 3, size, size) and x.dtype == np.float32
        assert -1 <= x.min() and x.max() <= 1
        assert y.shape == (3, 5) and set(np.unique(y)) <= {0.0, 1.0}


def test_hair_colours_are_exclusive_and_attributes_vary():
    ds = SyntheticFaces(400, 16, attributes=ALL_ATTRIBUTES)
    y = ds.labels()
    assert (y[:, :3].sum(1) <= 1).all()
    rates = y.mean(0)
    assert ((rates > 0.1) & (rates < 0.9)).all(), rates


def test_attributes_are_independent_of_identity():
    ds = SyntheticFaces(600, 16, attributes=ALL_ATTRIBUTES)
    male = ds.labels()[:, ALL_ATTRIBUTES.index("Male")]
    widths = np.array([ds.identity(i).face_width for i in range(600)])
    tones = np.array([np.mean(ds.identity(i).skin) for i in range(600)])
    assert abs(np.corrcoef(male, widths)[0, 1]) < 0.1
    assert abs(np.corrcoef(male, tones)[0, 1]) < 0.1


@pytest.mark.parametrize("attribute", ALL_ATTRIBUTES)
def test_each_attribute_changes_the_image_locally(attribute):
    ds = SyntheticFaces(20, 64, attributes=ALL_ATTRIBUTES)
    for i in range(3):
        current = ds.all_labels(i)[attribute]
        other = ds.render(i, {attribute: not current})
        diff = np.abs(other - ds.render(i)).max(0)
        assert diff.max() > 0.3, f"{attribute} does not change image {i}"
        assert (diff > 0.05).mean() < 0.6, f"{attribute} changes most of image {i}: not a local edit"


def test_render_with_vector_overrides_sets_one_hot_hair():
    ds = SyntheticFaces(5, 32)
    target = np.array([0, 1, 0, 1, 1], np.float32)
    assert not np.array_equal(ds.render(0, target), ds.render(0))
    labels = ds.all_labels(0)
    blond = {k: (k == "Blond_Hair") if k.endswith("_Hair") else v for k, v in labels.items()}
    np.testing.assert_array_equal(ds.render(0, {"Blond_Hair": True}), ds.render(0, blond))


def test_splits_are_disjoint_and_consistent():
    full = SyntheticFaces(30, 16)
    a, b = full.split([10, 20])
    np.testing.assert_array_equal(b.render(0), full.render(10))
    with pytest.raises(ValueError, match="add up"):
        full.split([20, 20])


def test_fast_enough_for_thousands():
    import time

    ds = SyntheticFaces(300, 64)
    t = time.perf_counter()
    ds.arrays()
    assert time.perf_counter() - t < 30  # ~6 ms per 64x64 image here; generous bound for slow CI machines


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=0), "n must be"), (dict(image_size=48), "power of two"),
    (dict(attributes=("Bald",)), "subset of"), (dict(attributes=()), "subset of"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SyntheticFaces(**kwargs)


def test_index_errors():
    ds = SyntheticFaces(3, 16)
    with pytest.raises(IndexError):
        ds.render(3)
    with pytest.raises(ValueError, match="overrides keys"):
        ds.render(0, {"Bald": True})


def test_landmarks_follow_expression():
    ident = Identity()
    closed = face_landmarks(ident, Look(), Pose(mouth_open=0.0))
    wide = face_landmarks(ident, Look(), Pose(mouth_open=1.0))
    assert closed.shape == (68, 2)
    assert (wide[66, 1] - wide[62, 1]) > (closed[66, 1] - closed[62, 1]) + 0.02  # inner lips part
    np.testing.assert_allclose(wide[:17], closed[:17])  # the jaw line does not move with the lips here
    shut = face_landmarks(ident, Look(), Pose(eyes_open=0.0))
    assert (shut[41, 1] - shut[37, 1]) < (closed[41, 1] - closed[37, 1])


def test_talking_face_frames_landmarks_sketches():
    tf = SyntheticTalkingFace(40, 64, seed=1)
    frames, sketches, lms = tf.arrays(range(0, 40, 5))
    assert frames.shape == sketches.shape == (8, 3, 64, 64)
    assert lms.shape == (8, 68, 2) and (lms > 0).all() and (lms < 64).all()
    assert np.std(lms[:, 62, 1] - lms[:, 66, 1]) > 0.3  # the mouth moves over time
    # The sketch is drawn at the landmarks: bright pixels around each landmark, dark elsewhere.
    s = (sketches[0].mean(0) + 1) / 2
    on = [s[int(round(y)) - 1:int(round(y)) + 2, int(round(x)) - 1:int(round(x)) + 2].max() for x, y in lms[0]]
    assert np.mean(np.array(on) > 0.2) > 0.9
    assert (s > 0.2).mean() < 0.2
    np.testing.assert_array_equal(SyntheticTalkingFace(40, 64, seed=1).frame(7), tf.frame(7))


def test_paper_attributes_default():
    assert SyntheticFaces(2, 16).attributes == PAPER_ATTRIBUTES


def test_parallel_rendering_gives_the_same_images():
    ds = SyntheticFaces(20, 16, seed=4)
    np.testing.assert_array_equal(ds.arrays(n_jobs=2)[0], ds.arrays()[0])
