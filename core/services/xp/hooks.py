"""What an XP write does in domains that award XP themselves, registered by their app.

A quest's reward is paid through ``award_xp``, and every award advances quests: were the award
path to import the quests service, the two would import each other. So the quests app hands
its step to the award path when Django starts (``quests/apps.py``), as it hands its claim
decisions to the claims service (``DECISION_HOOKS``), and the award path imports no quest code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xp.models import ActivityType

# "quests": core.services.quests.progress.after_award (keyword arguments as below)
AFTER_AWARD_HOOKS: dict[str, Callable[..., tuple[Any, ...]]] = {}


def advance_quests(
    *, user_id: int, activity: ActivityType, open_quests: int, now: datetime, correction: bool = False
) -> tuple[Any, ...]:
    """The quests the entry just written advanced (none without open quests or without the app)."""
    hook = AFTER_AWARD_HOOKS.get("quests")
    if not open_quests or hook is None:
        return ()
    return hook(user_id=user_id, activity=activity, open_quests=open_quests, now=now, correction=correction)
