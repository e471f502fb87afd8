"""Draw the labelled sample that the franck expression thresholds were checked on (not committed: franck's frames
are research-use media). For each attribute of ``EXPRESSION_ATTRIBUTES``: one row of 8 random frames without it,
one row of 8 random frames with it.

Usage (after ``make franck``)::

    python benchmarks/franck_labels.py                 # writes data/franck/expression-labels.png
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from art_initiative.benchmark.figures import save_grid
from art_initiative.data import VideoFrames
from art_initiative.data.expressions import EXPRESSION_ATTRIBUTES, expression_labels


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--video", default=os.path.join("data", "franck", "franck.mp4"))
    p.add_argument("--output", default=os.path.join("data", "franck", "expression-labels.png"))
    p.add_argument("--cache-dir", default=os.path.join("benchmarks", "cache"))
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    video = VideoFrames(args.video, image_size=64, crop_scale=1.5, cache_dir=args.cache_dir)
    labels = expression_labels(video.landmarks)
    rng = np.random.default_rng(args.seed)
    rows = []
    for j, name in enumerate(EXPRESSION_ATTRIBUTES):
        for value in (0, 1):
            idx = np.flatnonzero(labels[:, j] == value)
            rows.append(video.frames[rng.choice(idx, 8, replace=len(idx) < 8)])
        print(f"{name}: {int(labels[:, j].sum())} of {len(labels)} frames")
    save_grid(rows, args.output)
    print(f"rows: per attribute, 8 frames without it, then 8 with it -> {args.output}")


if __name__ == "__main__":
    main()
