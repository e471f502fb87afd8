"""Expression attributes from the 68 dlib landmarks, and the real-photo attribute-editing data set of franck.

Expression editing on real faces is the setting of GANimation, which Ruiz et al. also disrupted. No labelled face
data set can be had offline, so the labels come from the landmarks of each frame (:func:`expression_measures`),
thresholded as documented in :data:`EXPRESSION_THRESHOLDS`. All measures are ratios to the inter-ocular distance
(or to the face width), so they do not depend on the crop size. Directions are in the image: ``Head_Left`` means
that the nose points to the image's left.
"""

from __future__ import annotations

import logging
import os

import numpy as np

logger = logging.getLogger(__name__)

EXPRESSION_ATTRIBUTES: tuple[str, ...] = ("Mouth_Open", "Smiling", "Eyes_Closed", "Head_Left", "Head_Right")
# (measure, comparison, threshold) of each attribute (see expression_measures). Mouth width and yaw are taken
# relative to the subject's own neutral face (the median over the video: mouth width divided by it, yaw minus it),
# since a mouth's width and the camera's angle differ between people. Checked by eye on a labelled sample of
# franck frames (8 random frames on each side of each threshold; `benchmarks/franck_labels.py` draws it): open vs
# closed mouths, broad smiles vs neutral mouths, closed or lowered eyes vs open ones, the nose towards the image's
# left / right. On franck (4800 frames) they hold for about 26%, 25%, 7%, 20% and 12% of the frames. A brow
# measure was tried and left out: relative to the eyes it rises when the eyes close or look down.
EXPRESSION_THRESHOLDS: dict[str, tuple[str, str, float]] = {
    "Mouth_Open": ("mouth_gap", ">", 0.10),
    "Smiling": ("mouth_width", ">", 1.14),
    "Eyes_Closed": ("eye_aspect", "<", 0.22),
    "Head_Left": ("yaw", "<", -0.065),
    "Head_Right": ("yaw", ">", 0.055),
}
FRANCK_VIDEO = os.path.join("data", "franck", "franck.mp4")
# Crop side / face box side of the attribute-editing crops: tighter than the reenactment crop, so that expressions
# cover more pixels.
FRANCK_CROP_SCALE = 1.5
RELATIVE_MEASURES: dict[str, str] = {"mouth_width": "ratio", "yaw": "difference"}
# The defender's attributes (SD) and attributes it never sees (DD), as in Table 1's protocol. The two head turns
# exclude each other, so each setting holds one of them (flipping one never makes an impossible pair).
FRANCK_SETTINGS: dict[str, tuple[str, ...]] = {"SD": ("Mouth_Open", "Smiling", "Head_Left"),
                                               "DD": ("Eyes_Closed", "Head_Right")}


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def expression_measures(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Scale-free measures of expression and pose from 68-point landmarks (N, 68, 2), one value per face:

    - ``mouth_gap``: mean vertical gap of the inner lips (61-67, 62-66, 63-65) / inter-ocular distance;
    - ``mouth_width``: mouth corner to corner (48-54) / inter-ocular distance;
    - ``eye_aspect``: the eye aspect ratio of Soukupova and Cech (2016), mean of both eyes (< 0.2: closed);
    - ``yaw``: horizontal offset of the nose tip (30) from the middle of the jaw ends (0, 16) / jaw width
      (franck's neutral pose sits near 0.12: the camera sees him slightly from the side).

    The inter-ocular distance is between the centres of the two eyes (36-41, 42-47).
    """
    p = np.asarray(landmarks, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must have shape (N, 68, 2), got {p.shape}.")
    eye_r, eye_l = p[:, 36:42].mean(axis=1), p[:, 42:48].mean(axis=1)
    iod = np.maximum(_dist(eye_r, eye_l), 1e-6)
    gap = (_dist(p[:, 61], p[:, 67]) + _dist(p[:, 62], p[:, 66]) + _dist(p[:, 63], p[:, 65])) / 3

    def ear(e: np.ndarray) -> np.ndarray:
        return (_dist(e[:, 1], e[:, 5]) + _dist(e[:, 2], e[:, 4])) / np.maximum(2 * _dist(e[:, 0], e[:, 3]), 1e-6)

    jaw = np.maximum(p[:, 16, 0] - p[:, 0, 0], 1e-6)
    return {
        "mouth_gap": gap / iod,
        "mouth_width": _dist(p[:, 48], p[:, 54]) / iod,
        "eye_aspect": (ear(p[:, 36:42]) + ear(p[:, 42:48])) / 2,
        "yaw": (p[:, 30, 0] - (p[:, 0, 0] + p[:, 16, 0]) / 2) / jaw,
    }


def expression_labels(landmarks: np.ndarray, attributes: tuple[str, ...] = EXPRESSION_ATTRIBUTES,
                      neutral: dict[str, float] | None = None) -> np.ndarray:
    """0/1 attributes (N, len(attributes)) of one person's faces from their 68 landmarks, by
    :data:`EXPRESSION_THRESHOLDS`.

    :param neutral: the person's neutral ``mouth_width`` and ``yaw`` (:data:`RELATIVE_MEASURES`); default: their
        medians over ``landmarks`` (a video of the person).
    """
    unknown = [a for a in attributes if a not in EXPRESSION_THRESHOLDS]
    if unknown:
        raise ValueError(f"attributes must be from {EXPRESSION_ATTRIBUTES}, got {unknown}.")
    measures = expression_measures(landmarks)
    if len(measures["yaw"]) == 0:
        raise ValueError("landmarks must hold at least one face, got an empty array.")
    neutral = {k: float(np.median(measures[k])) for k in RELATIVE_MEASURES} | dict(neutral or {})
    for key, how in RELATIVE_MEASURES.items():
        measures[key] = measures[key] / neutral[key] if how == "ratio" else measures[key] - neutral[key]
    cols = []
    for name in attributes:
        key, op, threshold = EXPRESSION_THRESHOLDS[name]
        cols.append(measures[key] > threshold if op == ">" else measures[key] < threshold)
    return np.stack(cols, axis=1).astype(np.float32)


def crop_face_box(image_size: int, crop_scale: float) -> tuple[float, float, float, float]:
    """The face box (left, top, right, bottom) in the pixels of a :class:`~art_initiative.data.video.VideoFrames`
    crop: the crop is ``crop_scale`` times the video's median face box, centred on it and shifted up by a tenth of
    its side, so the box is the same in every crop."""
    side = image_size / crop_scale
    cx, cy = image_size / 2, 0.6 * image_size
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def crop_landmarks(images: np.ndarray, crop_scale: float, upscale: int | None = None,
                   predictor: object | None = None) -> np.ndarray:
    """dlib's 68 landmarks (N, 68, 2), in crop pixels, of face crops ``images`` (N, 3, H, W) in [-1, 1], e.g. the
    outputs of a forger. Each crop is enlarged ``upscale`` times (bicubic) and dlib's shape predictor runs inside
    :func:`crop_face_box` (no detector: it fails on small or generated faces). Needs the ``faces`` extra. On
    franck's 64 px crops the landmarks lie 0.46 px from those measured on the full frames, and the labels derived
    from them agree with the full-frame labels on 94-99% of the frames per attribute.

    :param crop_scale: the crop's side as a multiple of the face box (that of the crops' ``VideoFrames``).
    :param upscale: default: enough for a 256 px crop.
    :param predictor: a loaded ``dlib.shape_predictor`` (default: load the 68-point model, about 100 MB).
    """
    from art_initiative.data.video import _import_faces, landmark_model_path

    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"images must have shape (N, 3, H, W), got {x.shape}.")
    cv2, dlib = _import_faces()
    predictor = predictor or dlib.shape_predictor(landmark_model_path())
    upscale = upscale or max(1, -(-256 // x.shape[-1]))
    size = x.shape[-1] * upscale
    box = dlib.rectangle(*(int(round(v)) for v in crop_face_box(size, crop_scale)))
    out = np.empty((len(x), 68, 2), np.float32)
    for i, img in enumerate(x):
        rgb = ((img.transpose(1, 2, 0) + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
        big = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_CUBIC)
        out[i] = np.array([[p.x, p.y] for p in predictor(big, box).parts()], np.float32) / upscale
    return out


class CropExpressionLabeller:
    """Expression labels re-measured on face crops (:func:`crop_landmarks`), for checking what a forger's
    output shows. The subject's neutral mouth width and yaw are the medians over ``reference`` crops (real crops of
    the same person), measured the same way, so that low-resolution bias cancels.

    :param reference: real crops (N, 3, H, W) in [-1, 1] of the person.
    :param attributes: the label columns.
    :param crop_scale: as in :func:`crop_landmarks`.
    """

    def __init__(self, reference: np.ndarray, attributes: tuple[str, ...], crop_scale: float) -> None:
        from art_initiative.data.video import _import_faces, landmark_model_path

        self.attributes, self.crop_scale = tuple(attributes), float(crop_scale)
        self.predictor = _import_faces()[1].shape_predictor(landmark_model_path())  # loaded once, used per call
        measures = expression_measures(crop_landmarks(reference, self.crop_scale, predictor=self.predictor))
        self.neutral = {k: float(np.median(measures[k])) for k in RELATIVE_MEASURES}

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """0/1 labels (N, len(attributes)) of ``images``."""
        return expression_labels(crop_landmarks(images, self.crop_scale, predictor=self.predictor), self.attributes,
                                 self.neutral)


def time_splits(n_frames: int, n_train: int, n_test: int, gap: int, segments: int = 1
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame indices of the defender's, the forger's (``n_train`` each) and the test's (``n_test``) frames: the video
    is cut into ``segments`` equal spans, and each span into a defender part, a forger part and a test part, in that
    order, with ``gap`` frames left out after each part. So every part is a run of consecutive frames at least
    ``gap`` frames from any frame of another role, and with several segments each role sees the whole video (a
    talking person's expressions drift over minutes: one contiguous third per role gives very different attribute
    rates). The test frames are spread evenly over the test parts.
    """
    if min(n_train, n_test, segments) < 1 or gap < 0:
        raise ValueError(f"n_train, n_test and segments must be >= 1 and gap >= 0, got n_train={n_train}, "
                         f"n_test={n_test}, segments={segments}, gap={gap}.")
    span = n_frames // segments
    per = [n_train // segments + (i < n_train % segments) for i in range(segments)]
    test_len = span - 2 * per[0] - 3 * gap
    if test_len * segments < n_test or test_len < 1:
        raise ValueError(f"the video has {n_frames} frames; n_train={n_train}, n_test={n_test}, gap={gap} and "
                         f"segments={segments} need {segments * (2 * per[0] + 3 * gap) + max(n_test, segments)}.")
    defender, forger, rest = [], [], []
    for i, n in enumerate(per):
        start = i * span
        defender.append(np.arange(start, start + n))
        forger.append(np.arange(start + n + gap, start + 2 * n + gap))
        rest.append(np.arange(start + 2 * n + 2 * gap, start + span - gap))
    pool = np.concatenate(rest)
    test = pool[np.linspace(0, len(pool) - 1, n_test).round().astype(int)]
    return np.concatenate(defender), np.concatenate(forger), test


def expression_splits(image_size: int, n_train: int, n_test: int, gap: int = 25, segments: int = 8,
                      path: str | os.PathLike = FRANCK_VIDEO,
                      crop_scale: float = FRANCK_CROP_SCALE, cache_dir: str | None = None, verbose: bool = False
                      ) -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], tuple[str, ...]]:
    """The franck video as an attribute-editing data set: face crops with landmark-derived expression labels in
    disjoint runs of frames (:func:`time_splits`; at franck's 24 frames per second the default gap is about one
    second and the default 8 segments are 25 s each).

    :param path: the video (``make franck`` writes it).
    :param crop_scale: crop side as a multiple of the face box.
    :return: ((defender x, labels), (forger x, labels), (test x, labels)) and the attribute names.
    """
    from art_initiative.data.video import VideoFrames

    if not os.path.exists(path):
        raise FileNotFoundError(f"{os.fspath(path)} not found: run `make franck` first (it fetches the video).")
    video = VideoFrames(path, image_size=image_size, crop_scale=crop_scale, cache_dir=cache_dir, verbose=verbose)
    labels = expression_labels(video.landmarks * 1.0)
    parts = time_splits(len(video), n_train, n_test, gap, segments)
    for name, idx in zip(("defender", "forger", "test"), parts, strict=True):
        logger.info("franck %s: %d frames, attribute rates %s", name, len(idx),
                    dict(zip(EXPRESSION_ATTRIBUTES, np.round(labels[idx].mean(axis=0), 2), strict=True)))
    return tuple((video.frames[i], labels[i]) for i in parts), EXPRESSION_ATTRIBUTES
