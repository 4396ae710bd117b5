"""Whether a self-reported entry is plausible enough to enter the ledger at once (docs/domain.md
"Claims"). Costs no statement for an entry of at most half the activity's ``review_above``: the
hot path asks ``needs_judgement`` first and only such entries are judged with the database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from statistics import median

from core.constants.claims import needs_judgement
from core.constants.strava import HELD_IMPLAUSIBLE_SPEED, HELD_MANUAL
from core.utils.dates import utc_day
from xp.models import DailyUsage, XPEntry

ABOVE_REVIEW_THRESHOLD = "above_review_threshold"
FAR_ABOVE_USUAL = "far_above_usual"
DAY_ABOVE_PLAUSIBLE = "day_above_plausible"
# Claims other features make: a quest completion's proof, a Strava import the Strava review held.
REASONS = (
    ABOVE_REVIEW_THRESHOLD,
    FAR_ABOVE_USUAL,
    DAY_ABOVE_PLAUSIBLE,
    "quest_proof",
    HELD_IMPLAUSIBLE_SPEED,
    HELD_MANUAL,
)

# The player's usual: the median of their last HISTORY_ENTRIES entries of the activity, once
# they have at least HISTORY_MIN_ENTRIES; an entry above USUAL_FACTOR x that median is held.
HISTORY_ENTRIES = 20
HISTORY_MIN_ENTRIES = 3
USUAL_FACTOR = 3
# A day of one activity above DAY_FACTOR x review_above (this entry included) is held.
DAY_FACTOR = 2


def judge(*, user_id: int, activity, units: Decimal, now: datetime) -> str | None:  # type: ignore[no-untyped-def]
    """None when the entry is plausible, else the reason it is held (a code)."""
    if not needs_judgement(activity, units):
        return None
    if units > activity.review_above:
        return ABOVE_REVIEW_THRESHOLD
    usual = list(
        XPEntry.objects.filter(user_id=user_id, activity_id=activity.pk, corrects__isnull=True, xp__gt=0)
        .order_by("-created_at", "-id")
        .values_list("units", flat=True)[:HISTORY_ENTRIES]
    )
    if len(usual) >= HISTORY_MIN_ENTRIES and units > USUAL_FACTOR * median(usual):
        return FAR_ABOVE_USUAL
    today = (
        DailyUsage.objects.filter(user_id=user_id, activity_id=activity.pk, day=utc_day(now))
        .values_list("units", flat=True)
        .first()
    )
    if (today or 0) + units > DAY_FACTOR * activity.review_above:
        return DAY_ABOVE_PLAUSIBLE
    return None
