"""Data sources: embedded synthetic faces and talking face, CelebA on disk, image folders and videos."""

from art_initiative.data.celeba import CelebA
from art_initiative.data.domains import target_domains
from art_initiative.data.folder import ImageFolder
from art_initiative.data.io import read_image, write_image
from art_initiative.data.synthetic import (
    ALL_ATTRIBUTES,
    PAPER_ATTRIBUTES,
    SyntheticFaces,
    SyntheticTalkingFace,
)
from art_initiative.data.video import VideoFrames, landmark_model_path

__all__ = [
    "ALL_ATTRIBUTES",
    "PAPER_ATTRIBUTES",
    "CelebA",
    "ImageFolder",
    "SyntheticFaces",
    "SyntheticTalkingFace",
    "VideoFrames",
    "landmark_model_path",
    "read_image",
    "target_domains",
    "write_image",
]
