"""ART estimators for image-to-image translation models."""

from art_initiative.estimators.image_translator import PyTorchImageTranslator

__all__ = ["PyTorchImageTranslator"]
