import numpy as np
import pytest

from art_initiative.data import SyntheticTalkingFace
from art_initiative.data.masks import face_mask


def test_face_mask_covers_the_landmarks_and_not_the_corners():
    video = SyntheticTalkingFace(5, 64, seed=0)
    lm = np.stack([video.landmarks(t) for t in range(5)])
    m = face_mask(lm, 64)
    assert m.shape == (5, 1, 64, 64) and m.dtype == np.float32
    assert set(np.unique(m)) == {np.float32(0.01), np.float32(1.0)}
    for i in range(5):
        inner = np.round(lm[i, 27:68]).astype(int)  # nose, eyes, mouth: strictly inside the hull
        assert (m[i, 0, inner[:, 1], inner[:, 0]] == 1.0).all()
        assert m[i, 0, 0, 0] == 0.01 and m[i, 0, -1, -1] == 0.01
        brow_top = int(lm[i, 17:27, 1].min())
        assert m[i, 0, max(brow_top - 3, 0), int(lm[i, 27, 0])] == 1.0  # forehead above the brows
    assert 0.1 < (m == 1.0).mean() < 0.8
    np.testing.assert_array_equal(face_mask(lm[0], 64), m[:1])


@pytest.mark.parametrize("landmarks,match", [
    (np.zeros((2, 5, 2)), "shape"), (np.zeros((0, 68, 2)), "empty"), (np.full((68, 2), np.nan), "NaN"),
])
def test_face_mask_bad_input(landmarks, match):
    with pytest.raises(ValueError, match=match):
        face_mask(landmarks, 32)
