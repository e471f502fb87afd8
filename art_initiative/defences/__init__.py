"""Defences: the trained perturbation generator as an ART preprocessor."""
