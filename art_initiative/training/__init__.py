"""The forger's training recipes, used for surrogate and target manipulation models."""

from art_initiative.training.pix2pix import Pix2PixConfig, load_pix2pix, train_pix2pix
from art_initiative.training.stargan import StarGANConfig, load_stargan, train_stargan

__all__ = ["Pix2PixConfig", "StarGANConfig", "load_pix2pix", "load_stargan", "train_pix2pix", "train_stargan"]
