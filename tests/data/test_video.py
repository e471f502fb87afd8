import numpy as np
import pytest

from art_initiative.data import VideoFrames

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def talking_video(tmp_path_factory, write_talking_video):
    """A 12-frame MJPEG video of the synthetic talking face at 256x256, and its exact landmarks."""
    path = tmp_path_factory.mktemp("video") / "talk.avi"
    tf = write_talking_video(path, 12, 256, seed=0)
    return path, np.stack([tf.landmarks(t) for t in range(12)])


def test_dlib_landmarks_match_the_exact_ones(talking_video, tmp_path):
    path, truth = talking_video
    video = VideoFrames(path, image_size=64, cache_dir=tmp_path)
    frames, sketches, lms = video.arrays()
    assert frames.shape == sketches.shape == (12, 3, 64, 64) and lms.shape == (12, 68, 2)
    x0, y0, side = video.crop_box
    expected = (truth - [x0, y0]) * 64 / side
    assert np.abs(lms - expected).mean() < 3.0  # pixels at 64x64
    cached = VideoFrames(path, image_size=64, cache_dir=tmp_path)
    np.testing.assert_array_equal(cached.frames, frames)
    assert cached.frames.dtype == np.float32
    np.testing.assert_array_equal(cached.landmarks, lms)
    (cache,) = tmp_path.glob("video-*.npz")
    with np.load(cache) as data:  # the crops' 8-bit pixels, not their floats
        assert data["pixels"].dtype == np.uint8 and "frames" not in data


def test_a_cache_of_float_frames_written_before_still_loads(talking_video, tmp_path):
    path, _ = talking_video
    video = VideoFrames(path, image_size=32, cache_dir=tmp_path)
    (cache,) = tmp_path.glob("video-*.npz")
    np.savez_compressed(cache, frames=video.frames, landmarks=video.landmarks, crop_box=video.crop_box)
    again = VideoFrames(path, image_size=32, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.frames, video.frames)


def test_step_and_max_frames(talking_video):
    video = VideoFrames(talking_video[0], image_size=32, step=3, max_frames=3)
    assert len(video) == 3


def test_bad_video_inputs(tmp_path):
    with pytest.raises(FileNotFoundError):
        VideoFrames(tmp_path / "missing.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="could not be opened|no decodable frames"):
        VideoFrames(bad)
    blank = tmp_path / "blank.avi"
    writer = cv2.VideoWriter(str(blank), cv2.VideoWriter_fourcc(*"MJPG"), 5, (64, 64))
    for _ in range(2):
        writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    with pytest.raises(ValueError, match="no face was detected"):
        VideoFrames(blank)
    with pytest.raises(ValueError, match="crop_scale"):
        VideoFrames(blank, crop_scale=0.5)


def test_write_video_is_lossless_and_never_overwrites(tmp_path):
    from art_initiative.data.video import write_video

    rng = np.random.default_rng(0)
    frames = (rng.integers(0, 256, (3, 3, 16, 16)) / 127.5 - 1).astype(np.float32)
    path = tmp_path / "v.avi"
    write_video(path, frames)
    cap = cv2.VideoCapture(str(path))
    ok, bgr = cap.read()
    assert ok
    back = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).transpose(2, 0, 1) / 127.5 - 1
    np.testing.assert_allclose(back, frames[0], atol=1e-6)
    with pytest.raises(FileExistsError):
        write_video(path, frames)
    with pytest.raises(ValueError, match="frames must have shape"):
        write_video(tmp_path / "w.avi", frames[:, :1])
