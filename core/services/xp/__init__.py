"""XP: awards and corrections through one statement (``store``), and what they return."""

from core.services.xp.award import award_xp, get_activity, xp_for_units
from core.services.xp.corrections import correct_entry
from core.services.xp.results import Award, LayerUp, LevelUp

__all__ = ["Award", "LayerUp", "LevelUp", "award_xp", "correct_entry", "get_activity", "xp_for_units"]
