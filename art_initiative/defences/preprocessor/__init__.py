"""ART preprocessors."""

from art_initiative.defences.preprocessor.initiative import InitiativePreprocessor

__all__ = ["InitiativePreprocessor"]
