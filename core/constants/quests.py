"""Quest rules (pure data): how many goals, how far ahead, what a goal pays."""

from decimal import Decimal

MAX_ACTIVE_GOALS = 3  # a player's goals that are active or awaiting review at once
GOAL_MAX_DAYS = 90  # a goal's deadline is at most this far from its creation
# A goal pays this share of the XP its target is worth (floor), at least 1 and at most the cap.
GOAL_REWARD_SHARE = Decimal("0.10")
GOAL_REWARD_CAP = 1000
CHALLENGE_REWARD_MAX = 1_000_000  # what staff or a key may set as a challenge's reward_xp
TARGET_MAX = Decimal("999999999999.99")


def goal_reward(target_xp: int) -> int:
    """The reward of a goal whose target is worth ``target_xp`` XP (never chosen by the player)."""
    share = int((Decimal(target_xp) * GOAL_REWARD_SHARE).to_integral_value(rounding="ROUND_FLOOR"))
    return max(1, min(share, GOAL_REWARD_CAP))


QUEST_KINDS = ["goal", "challenge"]
# The states a reader sees (``abandoned`` goals are not shown).
QUEST_STATES = ["active", "pending_review", "completed", "failed"]
