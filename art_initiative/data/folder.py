"""``ImageFolder``: any folder of photos, for protecting real images."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import numpy as np

from art_initiative.data.io import IMAGE_EXTENSIONS, read_image

logger = logging.getLogger(__name__)


class ImageFolder:
    """The image files under ``root`` (or a single file), sorted, as NCHW arrays in [-1, 1].

    Unreadable files are skipped by :meth:`iter_images` and listed in :attr:`errors`; :meth:`arrays` raises.

    :param root: a folder or one image file.
    :param image_size: centre-crop to a square and resize to this side; None keeps each file's size.
    :param recursive: descend into subfolders.
    """

    def __init__(self, root: str | os.PathLike, image_size: int | None = None, recursive: bool = True) -> None:
        self.root = os.fspath(root)
        self.image_size = image_size
        if os.path.isfile(self.root):
            self.files = [self.root]
        elif os.path.isdir(self.root):
            walker = os.walk(self.root) if recursive else [(self.root, [], os.listdir(self.root))]
            self.files = sorted(
                os.path.join(d, f) for d, _, fs in walker for f in fs if f.lower().endswith(IMAGE_EXTENSIONS)
            )
        else:
            raise FileNotFoundError(f"root must be an image file or a folder, not found: {self.root}")
        self.errors: list[tuple[str, str]] = []

    def __len__(self) -> int:
        return len(self.files)

    def relative_path(self, path: str) -> str:
        """Path of ``path`` relative to the root (its file name when the root is a file)."""
        return os.path.basename(path) if os.path.isfile(self.root) else os.path.relpath(path, self.root)

    def iter_images(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(path, CHW image)``; unreadable files are logged, recorded in ``errors`` and skipped."""
        self.errors = []
        for path in self.files:
            try:
                yield path, read_image(path, self.image_size)
            except (ValueError, OSError) as err:
                logger.warning("skipping %s: %s", path, err)
                self.errors.append((path, str(err)))

    def arrays(self) -> np.ndarray:
        """All images as one (N, 3, H, W) array; needs ``image_size`` unless all files share a size."""
        imgs = [read_image(p, self.image_size) for p in self.files]
        if not imgs:
            raise ValueError(f"root {self.root} holds no image files with extensions {IMAGE_EXTENSIONS}.")
        shapes = {im.shape for im in imgs}
        if len(shapes) > 1:
            raise ValueError(f"images under {self.root} have different sizes {sorted(shapes)}; pass image_size.")
        return np.stack(imgs)
