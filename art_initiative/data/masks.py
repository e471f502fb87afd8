"""The facial mask ``m(x)`` of the reenactment defence (paper, after eq. 12), built from 68 landmarks.

The paper takes the face area from a BiSeNet face parser; no such model is reachable offline, so the face is
the convex hull of the 68 landmarks with the eyebrows raised to cover the forehead.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError
from skimage.draw import polygon

CHIN, BROWS = 8, slice(17, 27)


def face_mask(landmarks: np.ndarray, image_size: int, inside: float = 1.0, outside: float = 0.01,
              forehead: float = 0.3) -> np.ndarray:
    """``m(x)``: ``inside`` on the face, ``outside`` elsewhere, shape (N, 1, H, W) float32.

    :param landmarks: 68 dlib-ordered points per image in pixel coordinates (x, y), shape (N, 68, 2) or (68, 2).
    :param image_size: side of the square images.
    :param inside: weight of the face area (1.0 in the paper).
    :param outside: weight of the rest (0.01 in the paper).
    :param forehead: how far the eyebrow points are raised, as a share of the brow-to-chin distance.
    """
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[1:] != (68, 2):
        raise ValueError(f"landmarks must have shape (N, 68, 2) or (68, 2), got {np.shape(landmarks)}.")
    if len(pts) == 0:
        raise ValueError("landmarks is an empty batch.")
    if not np.isfinite(pts).all():
        raise ValueError("landmarks contain NaN or infinite values.")
    if not isinstance(image_size, (int, np.integer)) or image_size < 1:
        raise ValueError(f"image_size must be a positive int, got {image_size!r}.")
    out = np.full((len(pts), 1, image_size, image_size), outside, dtype=np.float32)
    for i, p in enumerate(pts):
        brows = p[BROWS]
        raise_by = forehead * max(p[CHIN, 1] - brows[:, 1].mean(), 0.0)
        hull_pts = np.concatenate([p, brows - [0.0, raise_by]])
        try:
            vertices = hull_pts[ConvexHull(hull_pts).vertices]
        except QhullError:  # degenerate (all points on a line): no face area
            continue
        rr, cc = polygon(vertices[:, 1], vertices[:, 0], shape=(image_size, image_size))
        out[i, 0, rr, cc] = inside
    return out
