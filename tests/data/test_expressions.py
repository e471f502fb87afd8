import numpy as np
import pytest

from art_initiative.data.expressions import (
    EXPRESSION_ATTRIBUTES,
    FRANCK_SETTINGS,
    expression_labels,
    expression_measures,
    time_splits,
)
from art_initiative.data.render import Look, Pose, face_landmarks
from art_initiative.data.synthetic import sample_identity


def _faces(kinds: list[tuple[Look, Pose]], size: int = 64) -> np.ndarray:
    ident = sample_identity(np.random.default_rng(3))  # one person, as in a video
    return np.stack([face_landmarks(ident, look, pose) for look, pose in kinds]) * size


def test_labels_of_faces_with_known_expressions():
    known = {
        "neutral": (Look(), Pose()),
        "Mouth_Open": (Look(), Pose(mouth_open=1.0)),
        "Smiling": (Look(smiling=True), Pose()),
        "Eyes_Closed": (Look(), Pose(eyes_open=0.0)),
        "Head_Left": (Look(), Pose(yaw=-1.0)),
        "Head_Right": (Look(), Pose(yaw=1.0)),
    }
    lms = _faces(list(known.values()))
    neutral = expression_measures(lms[:1])
    labels = expression_labels(lms, neutral={k: float(neutral[k][0]) for k in ("mouth_width", "yaw")})
    assert labels.shape == (6, len(EXPRESSION_ATTRIBUTES))
    assert labels[0].sum() == 0  # the neutral face has none of them
    for row, name in enumerate(list(known)[1:], start=1):
        on = [EXPRESSION_ATTRIBUTES[j] for j in np.flatnonzero(labels[row])]
        assert name in on, (name, on)
        assert not ({"Head_Left", "Head_Right"} <= set(on))


def test_labels_are_scale_free_and_default_to_the_video_median():
    kinds = [(Look(), Pose())] * 8 + [(Look(), Pose(mouth_open=1.0)), (Look(), Pose(yaw=1.0))]
    small, large = _faces(kinds, 32), _faces(kinds, 256)
    np.testing.assert_array_equal(expression_labels(small), expression_labels(large))
    labels = expression_labels(large)
    assert labels[:8].sum() == 0 and labels[8, 0] == 1 and labels[9, 4] == 1


def test_bad_landmarks_and_attributes():
    with pytest.raises(ValueError, match=r"\(N, 68, 2\)"):
        expression_measures(np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match="attributes"):
        expression_labels(np.zeros((1, 68, 2)), attributes=("Blond_Hair",))
    with pytest.raises(ValueError, match="empty"):
        expression_labels(np.zeros((0, 68, 2)))


def test_time_splits_are_disjoint_segments_with_a_gap():
    defender, forger, test = time_splits(1000, 300, 50, gap=40)
    assert len(defender) == len(forger) == 300 and len(test) == 50
    assert defender.max() + 40 < forger.min() and forger.max() + 40 < test.min() and test.max() <= 999
    assert len(np.unique(test)) == 50
    with pytest.raises(ValueError, match="need 770"):
        time_splits(700, 300, 50, gap=40)


def test_interleaved_time_splits_keep_every_role_gap_frames_from_the_others():
    gap = 10
    parts = time_splits(1200, 200, 60, gap=gap, segments=4)
    assert [len(p) for p in parts] == [200, 200, 60]
    roles = np.full(1200, -1)
    for role, idx in enumerate(parts):
        assert len(np.unique(idx)) == len(idx)
        roles[idx] = role
    # Each role reaches into every quarter of the video ...
    for idx in parts:
        assert len(np.unique(idx // 300)) == 4
    # ... and any two frames of different roles lie more than `gap` frames apart.
    used = np.flatnonzero(roles >= 0)
    for a in used:
        near = used[(np.abs(used - a) <= gap)]
        assert (roles[near] == roles[a]).all()
    with pytest.raises(ValueError, match="segments"):
        time_splits(1200, 200, 60, gap=gap, segments=0)
    with pytest.raises(ValueError, match="need"):
        time_splits(1200, 200, 60, gap=100, segments=4)


def test_each_domain_setting_holds_at_most_one_head_turn():
    for attrs in FRANCK_SETTINGS.values():
        assert len({"Head_Left", "Head_Right"} & set(attrs)) <= 1
    assert not set(FRANCK_SETTINGS["SD"]) & set(FRANCK_SETTINGS["DD"])


def test_expression_splits_of_a_video(tmp_path, write_talking_video):
    pytest.importorskip("dlib")
    from art_initiative.data.expressions import expression_splits

    path = tmp_path / "talk.avi"
    write_talking_video(path, 40, 128, seed=1)
    (defender, forger, test), names = expression_splits(16, n_train=12, n_test=5, gap=1, segments=2, path=path,
                                                        cache_dir=str(tmp_path))
    assert names == EXPRESSION_ATTRIBUTES
    assert defender[0].shape == (12, 3, 16, 16) and forger[1].shape == (12, 5) and test[0].shape == (5, 3, 16, 16)
    assert np.isin(np.concatenate([defender[1], forger[1], test[1]]), (0.0, 1.0)).all()
    # The talking face opens its mouth in some frames and not in others: both values occur.
    mouth = np.concatenate([defender[1], forger[1], test[1]])[:, 0]
    assert 0 < mouth.mean() < 1
    with pytest.raises(FileNotFoundError, match="make franck"):
        expression_splits(16, 12, 5, path=tmp_path / "missing.mp4")


def test_landmarks_re_measured_on_crops_match_those_of_the_frames(tmp_path, write_talking_video):
    pytest.importorskip("dlib")
    from art_initiative.data.expressions import CropExpressionLabeller, crop_landmarks
    from art_initiative.data.video import VideoFrames

    path = tmp_path / "talk.avi"
    write_talking_video(path, 24, 256, seed=2)
    video = VideoFrames(path, image_size=64, crop_scale=1.5)
    lms = crop_landmarks(video.frames, crop_scale=1.5)
    assert lms.shape == (24, 68, 2)
    assert np.abs(lms - video.landmarks).mean() < 1.5  # pixels of the 64 px crop
    # The labels from the crops agree with those from the frames; a scrambled crop reads differently.
    truth = expression_labels(video.landmarks * 1.0, ("Mouth_Open",))
    labeller = CropExpressionLabeller(video.frames, ("Mouth_Open",), crop_scale=1.5)
    assert 0 < truth.mean() < 1
    assert (labeller(video.frames) == truth).mean() >= 0.8
    with pytest.raises(ValueError, match="images"):
        crop_landmarks(video.frames[:, :1], crop_scale=1.5)
