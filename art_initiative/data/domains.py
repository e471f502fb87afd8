"""Target domains for attribute editing, as the paper's code builds them from each image's own labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from art_initiative.data.synthetic import HAIR_ATTRIBUTES


def target_domains(labels: np.ndarray, attributes: Sequence[str]) -> list[np.ndarray]:
    """One target label set ``c_j`` per attribute ``j``, for every image.

    Hair colours are set one-hot (that colour on, the other hair colours off); every other binary attribute
    is flipped, as in StarGAN's and the paper's evaluation code.

    :param labels: the images' own attributes (N, c_dim), 0/1.
    :param attributes: the attribute names of the columns.
    :return: ``c_dim`` arrays of shape (N, c_dim).
    """
    labels = np.asarray(labels, dtype=np.float32)
    if labels.ndim != 2 or labels.shape[1] != len(attributes):
        raise ValueError(f"labels must have shape (N, {len(attributes)}), got {labels.shape}.")
    hair_cols = [i for i, a in enumerate(attributes) if a in HAIR_ATTRIBUTES]
    out = []
    for j, name in enumerate(attributes):
        c = labels.copy()
        if name in HAIR_ATTRIBUTES:
            c[:, hair_cols] = 0.0
            c[:, j] = 1.0
        else:
            c[:, j] = 1.0 - c[:, j]
        out.append(c)
    return out
