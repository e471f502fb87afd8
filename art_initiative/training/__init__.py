"""The forger's training recipes, used for surrogate and target manipulation models."""

from art_initiative.training.classifier import (
    ClassifierConfig,
    load_attribute_classifier,
    train_attribute_classifier,
)
from art_initiative.training.pix2pix import Pix2PixConfig, load_pix2pix, train_pix2pix
from art_initiative.training.stargan import StarGANConfig, load_stargan, train_stargan

__all__ = [
    "ClassifierConfig",
    "Pix2PixConfig",
    "StarGANConfig",
    "load_attribute_classifier",
    "load_pix2pix",
    "load_stargan",
    "train_attribute_classifier",
    "train_pix2pix",
    "train_stargan",
]
