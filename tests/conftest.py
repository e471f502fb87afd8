"""Shared fixtures: tiny images, tiny models, two torch threads."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

torch.set_num_threads(2)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def load_script() -> Callable[[str], ModuleType]:
    """Import a script of the repository by its path (``"benchmarks/scale.py"``, ``"examples/ruiz_baseline.py"``)."""

    def load(relative: str) -> ModuleType:
        path = REPO / relative
        spec = importlib.util.spec_from_file_location(path.stem + "_script", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def images(rng: np.random.Generator) -> np.ndarray:
    """Four random 32x32 RGB images in [-0.9, 0.9]."""
    return rng.uniform(-0.9, 0.9, size=(4, 3, 32, 32)).astype(np.float32)


@pytest.fixture
def res6_translator():
    from art_initiative.estimators import PyTorchImageTranslator
    from art_initiative.models import build_model

    torch.manual_seed(0)
    G = build_model("res6", image_size=32, width=8, c_dim=5)
    return PyTorchImageTranslator(G, (3, 32, 32), c_dim=5, device_type="cpu")


def _write_talking_video(path, n_frames: int, size: int, seed: int = 0, period: int | None = None):  # noqa: ANN202
    """Write ``n_frames`` of the synthetic talking face as a video at ``path`` (MJPEG; MPEG-4 for ``.mp4``);
    return the face. ``period``: only that many frames are rendered, repeated (a long video, cheaply)."""
    import cv2

    from art_initiative.data import SyntheticTalkingFace
    from art_initiative.data.io import to_uint8_hwc

    talk = SyntheticTalkingFace(period or n_frames, size, seed=seed)
    bgr = [cv2.cvtColor(to_uint8_hwc(talk.frame(t)), cv2.COLOR_RGB2BGR) for t in range(period or n_frames)]
    codec = "mp4v" if str(path).endswith(".mp4") else "MJPG"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 25, (size, size))
    for t in range(n_frames):
        writer.write(bgr[t % len(bgr)])
    writer.release()
    return talk


@pytest.fixture(scope="session")
def write_talking_video():  # noqa: ANN201
    """``write_talking_video(path, n_frames, size, seed=0, period=None)``: the synthetic talking face as a video."""
    pytest.importorskip("cv2")
    return _write_talking_video
