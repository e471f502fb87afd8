"""ART estimators for image-to-image translation models."""

from art_initiative.estimators.image_translator import PyTorchImageTranslator, check_companions

__all__ = ["PyTorchImageTranslator", "check_companions"]
