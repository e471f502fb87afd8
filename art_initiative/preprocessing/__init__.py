"""Transforms a published photo goes through (JPEG, blur, resize, a shifted crop) and their expectation over
transformations for robust training."""

from art_initiative.preprocessing.eot import EOT_RANGES, draw_transform, parse_eot, random_transform
from art_initiative.preprocessing.transforms import (
    TRANSFORMS,
    apply_transform,
    check_transform,
    differentiable_transform,
    gaussian_blur,
)

__all__ = ["EOT_RANGES", "TRANSFORMS", "apply_transform", "check_transform", "differentiable_transform",
           "draw_transform", "gaussian_blur", "parse_eot", "random_transform"]
