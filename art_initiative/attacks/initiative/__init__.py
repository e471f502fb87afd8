"""The initiative defence of Huang et al. (AAAI 2021): losses, Algorithm 1 and the ``InitiativeDefense`` class."""

from art_initiative.attacks.initiative.config import PROFILES, InitiativeConfig, make_config
from art_initiative.attacks.initiative.defense import InitiativeDefense

__all__ = ["PROFILES", "InitiativeConfig", "InitiativeDefense", "make_config"]
