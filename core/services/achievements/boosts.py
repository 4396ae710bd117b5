"""XP boosts: a scheduled multiplier applied inside the one award path, before the write.

The ledger entry records the base XP and the multiplier (XPEntry.base_xp, .multiplier); caps
count units, never XP, so a boost changes no cap. Overlapping boosts do not stack: the largest
multiplier in scope applies. System activities (quest and reviewer rewards) are never boosted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from core.constants.layers import layer_for_xp
from core.selectors.achievements import achievement_catalogue
from xp.models import ActivityType, UserProfile


@dataclass(frozen=True)
class AppliedBoost:
    id: int
    name: str
    multiplier: Decimal
    base_xp: int
    ends_at: datetime


def boosted(activity: ActivityType, base_xp: int, *, user_id: int, now: datetime) -> tuple[int, AppliedBoost | None]:
    """(XP to write, the boost applied or None). No query unless a layer-scoped boost in the
    activity's mode is running (then one: the player's XP in that mode)."""
    if activity.system:
        return base_xp, None
    candidates = [
        b
        for b in achievement_catalogue.current().boosts_at(now)
        if b.activity_id == activity.pk or (b.activity_id is None and b.mode in ("", activity.mode))
    ]
    if not candidates:
        return base_xp, None
    if any(b.layer is not None for b in candidates):
        mode_xp = UserProfile.objects.filter(user_id=user_id).values_list(f"{activity.mode}_xp", flat=True).first() or 0
        layer = layer_for_xp(activity.mode, mode_xp).order
        candidates = [b for b in candidates if b.layer is None or b.layer == layer]
        if not candidates:
            return base_xp, None
    best = max(candidates, key=lambda b: (b.multiplier, -b.pk))
    xp = int((Decimal(base_xp) * best.multiplier).to_integral_value(rounding=ROUND_FLOOR))
    return xp, AppliedBoost(best.pk, best.name, best.multiplier, base_xp, best.ends_at)
