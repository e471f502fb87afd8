"""Metrics of the paper: per-image MSE/L1, DSR, PSNR, SSIM, LPIPS, VGG perceptual distance, LBP maps."""

from art_initiative.metrics.distortion import defense_success_rate, l1, mse, psnr, ssim
from art_initiative.metrics.perceptual import lpips_distance, perceptual_distance, trunk_weights_path
from art_initiative.metrics.texture import lbp_maps
from art_initiative.metrics.translation import (
    attribute_predictions,
    classifier_accuracy,
    clean_edit_distance,
    translation_accuracy,
    translation_errors,
)

__all__ = [
    "attribute_predictions",
    "classifier_accuracy",
    "clean_edit_distance",
    "defense_success_rate",
    "l1",
    "lbp_maps",
    "lpips_distance",
    "mse",
    "perceptual_distance",
    "psnr",
    "ssim",
    "translation_accuracy",
    "translation_errors",
    "trunk_weights_path",
]
