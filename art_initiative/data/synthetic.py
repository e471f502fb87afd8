"""Embedded synthetic data: ``SyntheticFaces`` (attribute editing) and ``SyntheticTalkingFace`` (reenactment)."""

from __future__ import annotations

import colorsys
import dataclasses
from collections.abc import Sequence

import numpy as np

from art_initiative.data.render import Identity, Look, Pose, face_landmarks, render_face, render_sketch
from art_initiative.models.layers import max_downsamplings
from art_initiative.utils.validation import check_positive_int

ALL_ATTRIBUTES: tuple[str, ...] = (
    "Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young", "Eyeglasses", "Smiling",
)
PAPER_ATTRIBUTES: tuple[str, ...] = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
HAIR_ATTRIBUTES: tuple[str, ...] = ("Black_Hair", "Blond_Hair", "Brown_Hair")
# Marginal frequencies close to CelebA's for these attributes.
_PRIORS = {"Male": 0.42, "Young": 0.77, "Eyeglasses": 0.15, "Smiling": 0.48}
_HAIR_PRIOR = {"black": 0.26, "blond": 0.17, "brown": 0.22, "other": 0.35}


def _hsv(h: float, s: float, v: float) -> tuple[float, float, float]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1)))
    return (r, g, b)


def sample_identity(rng: np.random.Generator) -> Identity:
    """Draw identity factors (face shape, skin tone, eye spacing, background, lighting...)."""
    tone = rng.uniform(0.0, 1.0)
    skin = _hsv(0.06 + 0.02 * rng.uniform(), 0.28 + 0.25 * tone, 0.95 - 0.55 * tone)
    bg_h = rng.uniform()
    return Identity(
        face_width=rng.uniform(0.22, 0.28),
        face_height=rng.uniform(0.29, 0.34),
        skin=skin,
        eye_spacing=rng.uniform(0.085, 0.11),
        eye_size=rng.uniform(0.038, 0.05),
        iris=_hsv(rng.uniform(0.05, 0.6), rng.uniform(0.3, 0.8), rng.uniform(0.2, 0.6)),
        nose_length=rng.uniform(0.09, 0.13),
        mouth_width=rng.uniform(0.07, 0.1),
        background=(_hsv(bg_h, rng.uniform(0.1, 0.6), rng.uniform(0.3, 0.9)),
                    _hsv(bg_h + rng.uniform(-0.2, 0.2), rng.uniform(0.1, 0.6), rng.uniform(0.3, 0.9))),
        background_angle=rng.uniform(0, 2 * np.pi),
        light_angle=rng.uniform(0, 2 * np.pi),
        light_strength=rng.uniform(0.05, 0.25),
        shirt=_hsv(rng.uniform(), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)),
        fringe=rng.uniform(-1, 1),
        other_hair=("grey", "red")[int(rng.integers(2))],
        texture_seed=int(rng.integers(2**31)),
    )


def look_from_labels(labels: dict[str, bool], other_hair: str = "grey") -> Look:
    """Translate CelebA-style binary attributes into a :class:`Look` (hair colours are one-hot or none)."""
    hair = other_hair
    for name, key in zip(HAIR_ATTRIBUTES, ("black", "blond", "brown"), strict=True):
        if labels.get(name):
            hair = key
    return Look(hair=hair, male=bool(labels.get("Male")), young=bool(labels.get("Young", True)),
                eyeglasses=bool(labels.get("Eyeglasses")), smiling=bool(labels.get("Smiling")))


def _to_chw(img: np.ndarray) -> np.ndarray:
    return (img.transpose(2, 0, 1) * 2.0 - 1.0).astype(np.float32)


class SyntheticFaces:
    """Procedurally rendered faces with CelebA-style binary attributes; the embedded default data source.

    Every image is determined by ``(seed, index)``: identity factors (face shape, skin tone, eye spacing and size,
    background, lighting, hairline) and attributes are drawn from two independent random streams, so attributes
    are independent of identity. :meth:`render` draws the same person with other attributes: the ground truth of
    an attribute translation, which real data sets do not have.

    :param n: number of images.
    :param image_size: side in pixels (power of two >= 8).
    :param seed: data set seed; disjoint splits use disjoint ``offset`` ranges or different seeds.
    :param attributes: the attributes returned as labels, in order (default: the paper's five).
    :param offset: index of the first image (so that ``SyntheticFaces(n, offset=k)`` continues a split).
    """

    def __init__(self, n: int = 1000, image_size: int = 64, seed: int = 0,
                 attributes: Sequence[str] = PAPER_ATTRIBUTES, offset: int = 0) -> None:
        self.n = check_positive_int(n, "n")
        max_downsamplings(image_size)
        if image_size < 8:
            raise ValueError(f"image_size must be >= 8, got {image_size}.")
        self.image_size = int(image_size)
        self.seed = int(seed)
        self.offset = check_positive_int(offset, "offset", minimum=0)
        unknown = [a for a in attributes if a not in ALL_ATTRIBUTES]
        if unknown or not attributes:
            raise ValueError(f"attributes must be a non-empty subset of {ALL_ATTRIBUTES}, got {list(attributes)}.")
        self.attributes = tuple(attributes)

    @property
    def c_dim(self) -> int:
        """The number of attributes, the length of each label vector."""
        return len(self.attributes)

    def __len__(self) -> int:
        return self.n

    def identity(self, index: int) -> Identity:
        """Identity factors of image ``index``."""
        return sample_identity(np.random.default_rng([self.seed, self.offset + index, 1]))

    def all_labels(self, index: int) -> dict[str, bool]:
        """Every attribute of image ``index`` (not only the selected ones)."""
        rng = np.random.default_rng([self.seed, self.offset + index, 2])
        keys = list(_HAIR_PRIOR)
        hair = keys[int(rng.choice(len(keys), p=list(_HAIR_PRIOR.values())))]
        labels = {name: hair == key for name, key in zip(HAIR_ATTRIBUTES, ("black", "blond", "brown"), strict=True)}
        for name, p in _PRIORS.items():
            labels[name] = bool(rng.uniform() < p)
        return labels

    def labels(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Selected attributes as a float32 multi-hot array (N, c_dim)."""
        idx = range(self.n) if indices is None else indices
        return np.array([[self.all_labels(i)[a] for a in self.attributes] for i in idx], dtype=np.float32)

    def render(self, index: int, overrides: dict[str, bool] | np.ndarray | None = None) -> np.ndarray:
        """Image ``index`` (CHW float32 in [-1, 1]), optionally with some attributes changed.

        :param overrides: ``{attribute: value}``, or a (c_dim,) vector of the selected attributes. Setting one
            hair colour clears the others, as in the data.
        """
        self._check_index(index)
        labels = self.all_labels(index)
        if overrides is not None:
            if isinstance(overrides, np.ndarray):
                if overrides.shape != (self.c_dim,):
                    raise ValueError(f"overrides must have shape ({self.c_dim},), got {overrides.shape}.")
                overrides = {a: bool(v > 0.5) for a, v in zip(self.attributes, overrides, strict=True)}
            for name, value in overrides.items():
                if name not in ALL_ATTRIBUTES:
                    raise ValueError(f"overrides keys must be in {ALL_ATTRIBUTES}, got {name!r}.")
                if name in HAIR_ATTRIBUTES and value:
                    for other in HAIR_ATTRIBUTES:
                        labels[other] = False
                labels[name] = bool(value)
        ident = self.identity(index)
        return _to_chw(render_face(self.image_size, ident, look_from_labels(labels, ident.other_hair)))

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.n:
            raise IndexError(f"index must be in [0, {self.n}), got {index}.")

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return self.render(index), self.labels([index])[0]

    def arrays(self, indices: Sequence[int] | None = None, n_jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Images (N, 3, H, W) float32 in [-1, 1] and labels (N, c_dim).

        :param n_jobs: render in this many processes (the result does not depend on it).
        """
        idx = list(range(self.n)) if indices is None else list(indices)
        for i in idx:
            self._check_index(i)
        if not idx:
            return np.zeros((0, 3, self.image_size, self.image_size), np.float32), self.labels(idx)
        if n_jobs > 1 and len(idx) > 4 * n_jobs:
            from concurrent.futures import ProcessPoolExecutor

            chunks = [idx[k::n_jobs] for k in range(n_jobs)]
            with ProcessPoolExecutor(n_jobs) as pool:
                parts = list(pool.map(self._render_many, chunks))
            x = np.empty((len(idx), 3, self.image_size, self.image_size), np.float32)
            for k, part in enumerate(parts):
                x[k::n_jobs] = part
        else:
            x = self._render_many(idx)
        return x, self.labels(idx)

    def _render_many(self, idx: Sequence[int]) -> np.ndarray:
        return np.stack([self.render(i) for i in idx])

    def split(self, sizes: Sequence[int]) -> list[SyntheticFaces]:
        """Consecutive disjoint splits of this set (e.g. defence training / target training / test)."""
        if sum(sizes) > self.n:
            raise ValueError(f"sizes must add up to at most n={self.n}, got {list(sizes)} (sum {sum(sizes)}).")
        out, start = [], self.offset
        for size in sizes:
            out.append(SyntheticFaces(size, self.image_size, self.seed, self.attributes, offset=start))
            start += size
        return out


class SyntheticTalkingFace:
    """One synthetic person talking: frames, their exact 68 landmarks and landmark sketches.

    Mouth opening, blinks, smiles and head pose (yaw, pitch, roll, small shifts) follow smooth random
    trajectories fixed by ``seed``. Landmarks are in pixel coordinates (x, y) of the ``image_size`` frame.

    :param n_frames: number of frames.
    :param image_size: side in pixels.
    :param seed: picks the identity and the motion.
    """

    def __init__(self, n_frames: int = 600, image_size: int = 64, seed: int = 0) -> None:
        self.n_frames = check_positive_int(n_frames, "n_frames")
        max_downsamplings(image_size)
        if image_size < 8:
            raise ValueError(f"image_size must be >= 8, got {image_size}.")
        self.image_size = int(image_size)
        self.seed = int(seed)
        rng = np.random.default_rng([seed, 7])
        self.person = sample_identity(rng)
        self.look = Look(hair=("black", "blond", "brown")[int(rng.integers(3))], male=bool(rng.integers(2)))
        self._freqs = rng.uniform(0.01, 0.12, size=(6, 3))
        self._phases = rng.uniform(0, 2 * np.pi, size=(6, 3))

    def __len__(self) -> int:
        return self.n_frames

    def _wave(self, k: int, t: float) -> float:
        return float(np.mean(np.sin(2 * np.pi * self._freqs[k] * t + self._phases[k])))

    def pose(self, t: int) -> Pose:
        """Expression and head pose of frame ``t``."""
        blink = 0.1 if (t + int(self._phases[1, 0] * 10)) % 47 in (0, 1) else 1.0
        return Pose(
            mouth_open=float(np.clip(0.45 + 0.9 * self._wave(0, t), 0.0, 1.0)),
            eyes_open=blink,
            yaw=0.8 * self._wave(2, t),
            pitch=0.6 * self._wave(3, t),
            roll=0.12 * self._wave(4, t),
            shift=(0.02 * self._wave(5, t), 0.015 * self._wave(5, t + 13)),
        )

    def landmarks(self, t: int) -> np.ndarray:
        """The 68 landmarks of frame ``t`` in pixel coordinates (x, y), shape (68, 2)."""
        self._check(t)
        return face_landmarks(self.person, self.look, self.pose(t)) * self.image_size

    def frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as CHW float32 in [-1, 1]."""
        self._check(t)
        pose = self.pose(t)
        ident = dataclasses.replace(self.person, texture_seed=self.person.texture_seed + t)
        return _to_chw(render_face(self.image_size, ident, self.look, pose))

    def sketch(self, t: int) -> np.ndarray:
        """Landmark sketch of frame ``t`` as CHW float32 in [-1, 1]."""
        return _to_chw(render_sketch(self.image_size, self.landmarks(t) / self.image_size))

    def _check(self, t: int) -> None:
        if not 0 <= t < self.n_frames:
            raise IndexError(f"frame index must be in [0, {self.n_frames}), got {t}.")

    def arrays(self, frames: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frames (N, 3, H, W), sketches (N, 3, H, W) in [-1, 1] and landmarks (N, 68, 2) in pixels."""
        idx = list(range(self.n_frames)) if frames is None else list(frames)
        return (np.stack([self.frame(t) for t in idx]), np.stack([self.sketch(t) for t in idx]),
                np.stack([self.landmarks(t) for t in idx]).astype(np.float32))
