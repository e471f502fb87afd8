"""``CelebA``: the real CelebA layout on disk, with the paper's disjoint splits."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np

from art_initiative.data.io import read_image
from art_initiative.data.synthetic import PAPER_ATTRIBUTES
from art_initiative.utils.validation import check_positive_int

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("defense", "target", "test", "all")


def _read_attr_file(path: str) -> tuple[list[str], list[str], np.ndarray]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CelebA attribute file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        lines = [ln.split() for ln in fh if ln.strip()]
    if len(lines) < 2 or not lines[0][0].isdigit():
        raise ValueError(f"{path} is not a CelebA attribute file: expected a count line, then attribute names.")
    names = lines[1]
    files, values = [], []
    for ln in lines[2:]:
        if len(ln) != len(names) + 1:
            raise ValueError(f"{path}: line for {ln[0]!r} has {len(ln) - 1} values, expected {len(names)}.")
        files.append(ln[0])
        values.append([int(v) > 0 for v in ln[1:]])
    return names, files, np.array(values, dtype=bool).reshape(len(files), len(names))


def _read_partition(path: str) -> dict[str, int]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CelebA partition file not found: {path}")
    out = {}
    with open(path, encoding="utf-8") as fh:
        for ln in fh:
            parts = ln.split()
            if len(parts) == 2:
                out[parts[0]] = int(parts[1])
    return out


class CelebA:
    """CelebA read from ``root`` (``img_align_celeba/``, ``list_attr_celeba.txt``, ``list_eval_partition.txt``).

    Images are centre-cropped to 178x178 and resized to ``image_size``, as StarGAN does. The official training
    partition is cut into two disjoint halves, ``"defense"`` (the defender's data) and ``"target"`` (the
    forger's training data), each at most ``split_sizes[0]`` / ``split_sizes[1]`` images; ``"test"`` takes the
    first ``split_sizes[2]`` images of the official test partition (the paper: 100k / 100k / 2.6k).

    :param root: the CelebA directory.
    :param split: ``"defense"``, ``"target"``, ``"test"`` or ``"all"``.
    :param attributes: attribute names to return as labels (default: the paper's five).
    """

    def __init__(self, root: str | os.PathLike, image_size: int = 128, split: str = "defense",
                 attributes: Sequence[str] = PAPER_ATTRIBUTES,
                 split_sizes: tuple[int, int, int] = (100_000, 100_000, 2_600), crop: int = 178) -> None:
        self.root = os.fspath(root)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"CelebA root directory not found: {self.root}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
        self.image_size = check_positive_int(image_size, "image_size", minimum=8)
        self.crop = crop
        self.image_dir = os.path.join(self.root, "img_align_celeba")
        if not os.path.isdir(self.image_dir):
            raise FileNotFoundError(f"CelebA image directory not found: {self.image_dir}")
        names, files, values = _read_attr_file(os.path.join(self.root, "list_attr_celeba.txt"))
        missing = [a for a in attributes if a not in names]
        if missing or not attributes:
            raise ValueError(
                f"attributes must be non-empty and among the file's {len(names)} attributes; unknown: {missing}."
            )
        self.attributes = tuple(attributes)
        cols = [names.index(a) for a in self.attributes]
        partition = _read_partition(os.path.join(self.root, "list_eval_partition.txt"))
        part = np.array([partition.get(f, -1) for f in files])
        train = np.flatnonzero(part == 0)
        half = len(train) // 2
        if split == "defense":
            rows = train[:half][: split_sizes[0]]
        elif split == "target":
            rows = train[half:][: split_sizes[1]]
        elif split == "test":
            rows = np.flatnonzero(part == 2)[: split_sizes[2]]
        else:
            rows = np.arange(len(files))
        self.files = [files[i] for i in rows]
        self._labels = values[rows][:, cols].astype(np.float32)
        logger.info("CelebA %s split: %d images", split, len(self.files))

    @property
    def c_dim(self) -> int:
        """The number of attributes, the length of each label vector."""
        return len(self.attributes)

    def __len__(self) -> int:
        return len(self.files)

    def labels(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Selected attributes, float32 multi-hot (N, c_dim)."""
        return self._labels if indices is None else self._labels[list(indices)]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        path = os.path.join(self.image_dir, self.files[index])
        return read_image(path, self.image_size, crop=self.crop), self._labels[index]

    def arrays(self, indices: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Images (N, 3, H, W) float32 in [-1, 1] and labels (N, c_dim)."""
        idx = list(range(len(self))) if indices is None else list(indices)
        if not idx:
            return np.zeros((0, 3, self.image_size, self.image_size), np.float32), self._labels[:0]
        return np.stack([self[i][0] for i in idx]), self.labels(idx)
