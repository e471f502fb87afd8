"""Attacks on image translators: the initiative defence, the Ruiz et al. baseline, ART helpers, transfer
evaluation, torchattacks, a universal perturbation; error-minimising and error-maximising poisons of a forger's
training frames."""

from art_initiative.attacks.initiative import InitiativeConfig, InitiativeDefense, InitiativeDefenseReenactment
from art_initiative.attacks.references import generate_with_art, jittered_reference
from art_initiative.attacks.ruiz import RuizDisruption, disruption_loss, linf_step
from art_initiative.attacks.transfer import TransferResult, transfer_disruption
from art_initiative.attacks.universal import UniversalDisruption
from art_initiative.attacks.unlearnable import ErrorPoison

__all__ = [
    "ErrorPoison",
    "InitiativeConfig",
    "InitiativeDefense",
    "InitiativeDefenseReenactment",
    "RuizDisruption",
    "TransferResult",
    "UniversalDisruption",
    "disruption_loss",
    "generate_with_art",
    "jittered_reference",
    "linf_step",
    "transfer_disruption",
]
