"""The initiative defence of Huang et al. (AAAI 2021): losses, Algorithm 1 and the defence classes for attribute
editing (``InitiativeDefense``) and face reenactment (``InitiativeDefenseReenactment``)."""

from art_initiative.attacks.initiative.attribute import InitiativeDefense
from art_initiative.attacks.initiative.config import PROFILES, REENACTMENT_PROFILES, InitiativeConfig, make_config
from art_initiative.attacks.initiative.reenactment import InitiativeDefenseReenactment

__all__ = ["PROFILES", "REENACTMENT_PROFILES", "InitiativeConfig", "InitiativeDefense",
           "InitiativeDefenseReenactment", "make_config"]
