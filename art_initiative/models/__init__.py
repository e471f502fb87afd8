"""Networks of the paper and of the forger, built by name with :func:`build_model`."""

from art_initiative.models.classifier import AttributeClassifier
from art_initiative.models.critics import PatchGANDiscriminator, WGANCritic
from art_initiative.models.perturbation import PerturbationUNet, protect, shared_pattern
from art_initiative.models.registry import GENERATOR_NAMES, MODEL_NAMES, build_model, describe_models
from art_initiative.models.stargan import ResNetGenerator, StarGANDiscriminator, conv_encoder_decoder
from art_initiative.models.unet import UNetGenerator

__all__ = [
    "AttributeClassifier",
    "GENERATOR_NAMES",
    "MODEL_NAMES",
    "PatchGANDiscriminator",
    "PerturbationUNet",
    "ResNetGenerator",
    "StarGANDiscriminator",
    "UNetGenerator",
    "WGANCritic",
    "build_model",
    "conv_encoder_decoder",
    "describe_models",
    "protect",
    "shared_pattern",
]
