"""One registry for every network: ``build_model(name, image_size=..., width=..., c_dim=...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from torch import nn

from art_initiative.models.classifier import AttributeClassifier
from art_initiative.models.critics import PatchGANDiscriminator, WGANCritic
from art_initiative.models.layers import max_downsamplings
from art_initiative.models.perturbation import PerturbationUNet
from art_initiative.models.stargan import ResNetGenerator, StarGANDiscriminator, conv_encoder_decoder
from art_initiative.models.unet import UNetGenerator


def _unet(levels: int) -> Callable[..., nn.Module]:
    def build(image_size: int, width: int, c_dim: int, **kwargs: object) -> nn.Module:
        # Scaled to the image: a U-Net cannot have more stride-2 levels than log2(image_size).
        n = min(int(kwargs.pop("levels", levels)), max_downsamplings(image_size))
        return UNetGenerator(levels=n, width=width, c_dim=c_dim, **kwargs)

    return build


def _pg(image_size: int, width: int, c_dim: int, **kwargs: object) -> nn.Module:
    levels = min(int(kwargs.pop("levels", 5)), max_downsamplings(image_size) + 1)
    pattern = image_size if kwargs.pop("pattern", False) else None
    return PerturbationUNet(levels=levels, width=width, pattern_size=pattern, **kwargs)


def _patchgan(image_size: int, width: int, c_dim: int, **kwargs: object) -> nn.Module:
    n_layers = min(int(kwargs.pop("n_layers", 3)), max(1, max_downsamplings(image_size) - 2))
    return PatchGANDiscriminator(in_channels=int(kwargs.pop("in_channels", 6)), width=width, n_layers=n_layers)


class _Entry(NamedTuple):
    """One registered network: its builder ``(image_size, width, c_dim, **kwargs)``, a one-line description,
    whether the forger's recipes (and the benchmarks' targets) may use it as the image-to-image generator, and
    the smallest image side it takes."""

    build: Callable[..., nn.Module]
    description: str
    generator: bool = False
    min_image_size: int = 1


_REGISTRY: dict[str, _Entry] = {
    "res6": _Entry(lambda image_size, width, c_dim, **kw: ResNetGenerator(width, 6, c_dim, **kw),
                   "StarGAN generator, 6 residual blocks", generator=True, min_image_size=8),
    "res9": _Entry(lambda image_size, width, c_dim, **kw: ResNetGenerator(width, 9, c_dim, **kw),
                   "StarGAN generator, 9 residual blocks", generator=True, min_image_size=8),
    "cnet": _Entry(lambda image_size, width, c_dim, **kw: conv_encoder_decoder(width, c_dim, **kw),
                   "plain convolutional encoder-decoder", generator=True, min_image_size=8),
    "unet128": _Entry(_unet(7), "pix2pix U-Net, 7 levels (fewer when the image is smaller than 128)", generator=True),
    "unet256": _Entry(_unet(8), "pix2pix U-Net, 8 levels (fewer when the image is smaller than 256)", generator=True),
    "pg_unet": _Entry(_pg, "the paper's perturbation generator PG (5-level BatchNorm U-Net, tanh)"),
    "stargan_disc": _Entry(lambda image_size, width, c_dim, **kw: StarGANDiscriminator(image_size, width, c_dim, **kw),
                           "StarGAN discriminator (source and attribute heads)"),
    "wgan_critic": _Entry(lambda image_size, width, c_dim, **kw: WGANCritic(image_size, width, **kw),
                          "the paper's WGAN-GP critic D_B (7 convolutions and a dense layer)"),
    "patchgan": _Entry(_patchgan, "pix2pix 70x70 PatchGAN discriminator"),
    "attribute_classifier": _Entry(lambda image_size, width, c_dim, **kw: AttributeClassifier(image_size, width,
                                                                                             max(c_dim, 1), **kw),
                                   "attribute classifier that scores edits (trained on real images, not the "
                                   "forger's)"),
}

MODEL_NAMES: tuple[str, ...] = tuple(_REGISTRY)
#: The image-to-image generators (target and surrogate architectures), in registry order.
GENERATOR_NAMES: tuple[str, ...] = tuple(name for name, entry in _REGISTRY.items() if entry.generator)


def describe_models() -> dict[str, str]:
    """Return ``{name: one-line description}`` for every registered network."""
    return {name: entry.description for name, entry in _REGISTRY.items()}


def build_model(name: str, image_size: int = 128, width: int = 64, c_dim: int = 0, **kwargs: object) -> nn.Module:
    """Build a registered network.

    :param name: one of :data:`MODEL_NAMES`.
    :param image_size: side of the square input images, a power of two (128 in the paper).
    :param width: channels of the first layer (64 in the paper; 8 or 16 for CPU profiles).
    :param c_dim: number of target attributes for conditional generators and discriminator heads; 0 for
        unconditional generators.
    :param kwargs: architecture-specific overrides (``levels`` for U-Nets, ``depth`` for critics,
        ``in_channels`` for the PatchGAN, ...).
    :return: the network, in training mode, on the CPU.
    """
    if name not in _REGISTRY:
        raise ValueError(f"name must be one of {sorted(_REGISTRY)}, got {name!r}.")
    max_downsamplings(image_size)  # validates image_size
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}.")
    if not isinstance(c_dim, int) or c_dim < 0:
        raise ValueError(f"c_dim must be a non-negative int, got {c_dim!r}.")
    entry = _REGISTRY[name]
    if image_size < entry.min_image_size:
        raise ValueError(f"image_size must be >= {entry.min_image_size} for {name!r}, got {image_size}.")
    return entry.build(image_size, width, c_dim, **kwargs)
