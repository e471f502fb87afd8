"""Protect whole photos at their own size: every face is found (dlib's detector), cropped the way a forger crops
it (a square around the face box, with margin), protected at PG's working size, and the perturbation is resized
to the crop and added to the photo's own pixels. Everything outside the faces is left as it was, and the L-inf
bound holds on the written 8-bit pixels."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# The crop a forger's face pipeline takes: a square of 1.5 face boxes, its centre 10% of the side above the box's
# (as :class:`~art_initiative.data.VideoFrames` crops video frames).
FACE_CROP_SCALE = 1.5
MODES = ("RGB", "L", "RGBA", "LA")
REGIONS = ("faces", "whole")
NO_FACE = ("skip", "whole")
MIN_SIDE = 16


def face_crop_box(box: tuple[float, float, float, float], width: int, height: int,
                  crop_scale: float = FACE_CROP_SCALE) -> tuple[int, int, int]:
    """The square crop ``(x0, y0, side)`` around a face box ``(left, top, right, bottom)``: ``crop_scale`` times
    the box's longer side, centred on the box and raised by a tenth of the side, moved (and if need be shrunk) to
    lie inside a ``width`` x ``height`` photo."""
    left, top, right, bottom = (float(v) for v in box)
    side = int(round(crop_scale * max(right - left, bottom - top)))
    side = max(1, min(side, width, height))
    cx, cy = (left + right) / 2, (top + bottom) / 2 - 0.1 * side
    x0 = int(np.clip(round(cx - side / 2), 0, width - side))
    y0 = int(np.clip(round(cy - side / 2), 0, height - side))
    return x0, y0, side


def detect_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Face boxes ``(left, top, right, bottom)`` in an HWC uint8 RGB photo, with dlib's frontal face detector
    (upsampled once for photos under 500 px, as :class:`~art_initiative.data.VideoFrames` does)."""
    from art_initiative.data.video import _import_faces

    _, dlib = _import_faces()
    detector = _detector(dlib)
    dets = detector(np.ascontiguousarray(rgb), 1 if max(rgb.shape[:2]) < 500 else 0)
    return [(d.left(), d.top(), d.right(), d.bottom()) for d in dets]


_DETECTOR: list = []


def _detector(dlib):  # noqa: ANN001, ANN202 - dlib has no type hints
    if not _DETECTOR:
        _DETECTOR.append(dlib.get_frontal_face_detector())
    return _DETECTOR[0]


def read_photo(path: str | os.PathLike) -> Image.Image:
    """Open a photo upright (its EXIF orientation applied) in one of :data:`MODES` (palette images become RGB or
    RGBA, 16-bit greyscale is refused).

    :raises FileNotFoundError: no such file.
    :raises ValueError: not a readable image, or a mode that cannot be written back unchanged.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"photo not found: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            img = ImageOps.exif_transpose(im)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"{path} is not a readable image file ({err}).") from err
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode == "CMYK":
        img = img.convert("RGB")
    if img.mode not in MODES:
        raise ValueError(f"{path}: image mode must be one of {MODES} (or palette / CMYK), got {img.mode!r}.")
    return img


@dataclass
class ProtectedPhoto:
    """The result of :meth:`PhotoProtector.protect`.

    :param image: the protected photo (same size and mode as the input), or None when it was skipped.
    :param faces: the protected regions ``(x0, y0, side)`` in photo pixels (the whole photo: one non-square region
        ``(0, 0, width, height)`` with ``whole`` set).
    :param whole: the whole photo was protected instead of faces.
    :param psnr: PSNR of the protected photo against the input (dB, 8-bit), None when skipped.
    :param linf: the largest change of any pixel, in [-1, 1] units.
    """

    image: Image.Image | None
    faces: list[tuple[int, ...]] = field(default_factory=list)
    whole: bool = False
    psnr: float | None = None
    linf: float = 0.0


class PhotoProtector:
    """Protect photos of any size with a perturbation generator that works at ``image_size``.

    :param perturb: protected images from clean ones, (N, 3, S, S) float32 in [-1, 1] both, e.g.
        ``lambda x: preprocessor(x)[0]`` for an :class:`~art_initiative.defences.preprocessor.InitiativePreprocessor`
        or a defence's ``generate``.
    :param eps: the L-inf budget ``perturb`` keeps (the written pixels keep it too).
    :param image_size: S, the generator's working size.
    :param region: ``"faces"`` (every detected face) or ``"whole"`` (the whole photo, resized to S and back).
    :param no_face: what to do with a photo where no face is found: ``"skip"`` it or protect it ``"whole"``.
    :param crop_scale: the face crop's side in face boxes (the forger's crop).
    :param detector: face boxes from an HWC uint8 RGB array (default: dlib's, :func:`detect_faces`).
    """

    def __init__(self, perturb: Callable[[np.ndarray], np.ndarray], eps: float, image_size: int,
                 region: str = "faces", no_face: str = "skip", crop_scale: float = FACE_CROP_SCALE,
                 detector: Callable[[np.ndarray], list[tuple[int, int, int, int]]] | None = None) -> None:
        self.perturb = perturb
        self.eps = eps
        self.image_size = image_size
        self.region = region
        self.no_face = no_face
        self.crop_scale = crop_scale
        self.detector = detector or detect_faces
        self._check_params()

    def _check_params(self) -> None:
        if isinstance(self.eps, bool) or not isinstance(self.eps, (int, float)) or not 0 < self.eps <= 1:
            raise ValueError(f"eps must be a number in (0, 1], got {self.eps!r}.")
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size < 4:
            raise ValueError(f"image_size must be an int >= 4, got {self.image_size!r}.")
        if self.region not in REGIONS:
            raise ValueError(f"region must be one of {REGIONS}, got {self.region!r}.")
        if self.no_face not in NO_FACE:
            raise ValueError(f"no_face must be one of {NO_FACE}, got {self.no_face!r}.")
        if not isinstance(self.crop_scale, (int, float)) or not self.crop_scale >= 1:
            raise ValueError(f"crop_scale must be a number >= 1, got {self.crop_scale!r}.")

    def _delta(self, rgb: np.ndarray) -> np.ndarray:
        """The perturbation of one HWC uint8 region, computed at ``image_size`` and resized to the region
        (HWC float32 in [-1, 1] units, within ``eps``)."""
        h, w = rgb.shape[:2]
        x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0)
        small = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False,
                              antialias=True).clamp(-1.0, 1.0).numpy()
        protected = np.asarray(self.perturb(small), dtype=np.float32)
        if protected.shape != small.shape or not np.isfinite(protected).all():
            raise ValueError(f"perturb must return finite images of shape {small.shape}, got {protected.shape}.")
        delta = torch.from_numpy(np.clip(protected - small, -self.eps, self.eps))
        # Nearest-neighbour blocks: a forger's downscale of the crop averages each block back to PG's pixel, where
        # a smooth (bilinear) upscale is low-passed away (measured, benchmarks/photo_protection.py: after the
        # forger's crop and bicubic resize the gray-box forgery MSE is 0.015 with blocks, 0.010 bilinear).
        big = F.interpolate(delta, size=(h, w), mode="nearest")
        return big[0].numpy().transpose(1, 2, 0)

    def protect(self, image: Image.Image) -> ProtectedPhoto:
        """Protect one photo (a PIL image in one of :data:`MODES`); the input image is not changed.

        :raises ValueError: an unsupported mode, or a photo smaller than 16 px on a side.
        """
        if image.mode not in MODES:
            raise ValueError(f"image mode must be one of {MODES}, got {image.mode!r}.")
        width, height = image.size
        if min(width, height) < MIN_SIDE:
            raise ValueError(f"the photo is {width}x{height} px; at least {MIN_SIDE} px on each side is needed.")
        bands = image.split()
        colour = image.mode in ("RGB", "RGBA")
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        regions: list[tuple[int, ...]] = []
        whole = self.region == "whole"
        if not whole:
            boxes = self.detector(rgb)
            regions = [face_crop_box(b, width, height, self.crop_scale) for b in boxes]
            regions = [r for r in regions if r[2] >= MIN_SIDE]
            if not regions:
                if self.no_face == "skip":
                    return ProtectedPhoto(None)
                whole = True
        delta = np.zeros((height, width, 3), np.float32)
        if whole:
            delta = self._delta(rgb)
            regions = [(0, 0, width, height)]
        else:
            for x0, y0, side in regions:
                delta[y0:y0 + side, x0:x0 + side] += self._delta(rgb[y0:y0 + side, x0:x0 + side])
        if not colour:
            delta = delta.mean(axis=2, keepdims=True)
        # In 8-bit steps, never more than eps: |out - in| / 127.5 <= eps on every written pixel.
        limit = np.floor(self.eps * 127.5 + 1e-6)
        steps = np.clip(np.round(delta * 127.5), -limit, limit)
        channels = np.asarray(image.convert("RGB" if colour else "L"), dtype=np.int16)
        channels = channels.reshape(height, width, -1)
        out = np.clip(channels + steps, 0, 255).astype(np.uint8)
        pieces = [Image.fromarray(out[..., c]) for c in range(out.shape[2])]
        if image.mode in ("RGBA", "LA"):
            pieces.append(bands[-1])  # alpha untouched
        protected = Image.merge(image.mode, pieces)
        diff = out.astype(np.float64) - channels
        mse = float((diff ** 2).mean())
        psnr = float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))
        return ProtectedPhoto(protected, regions, whole, psnr, float(np.abs(diff).max() / 127.5))


def save_photo(image: Image.Image, path: str | os.PathLike) -> None:
    """Write a protected photo, atomically and never over an existing file: PNG (lossless) unless the name ends in
    ``.jpg`` / ``.jpeg``, which is written at quality 95 with a warning (JPEG weakens the protection).

    :raises FileExistsError: ``path`` exists.
    """
    path = os.fspath(path)
    if os.path.exists(path):
        raise FileExistsError(f"refusing to overwrite existing file {path}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    ext = os.path.splitext(path)[1].lower()
    jpeg = ext in (".jpg", ".jpeg")
    tmp = f"{path}.tmp{ext}"
    if jpeg:
        logger.warning("writing %s as JPEG: lossy compression weakens the protection (PNG keeps it exactly).", path)
        flat = image.convert({"RGBA": "RGB", "LA": "L"}[image.mode]) if image.mode in ("RGBA", "LA") else image
        flat.save(tmp, format="JPEG", quality=95)
    else:
        image.save(tmp, format="PNG")
    os.replace(tmp, path)
