"""A player's value for an achievement's rule, and the tiers it meets (the catalogue's progress,
the unlock checks and the retroactive grant read these)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from achievements.models import (
    ACTIVITY_UNITS,
    AT_MOST_KINDS,
    ENTRIES,
    LAYER,
    LEVEL,
    QUESTS,
    REVIEWS,
    SEASON_LEAGUE,
    SEASON_RANK,
    STREAK,
    TOTAL_XP,
    Achievement,
    StreakState,
)
from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY, QUEST_REWARD_ACTIVITY
from core.constants.layers import layer_for_xp
from core.constants.leagues import LEAGUES
from seasons.models import SeasonResult
from xp.models import UserProfile, XPEntry

QUEST_KEYS = tuple(QUEST_REWARD_ACTIVITY.values())


def values_for(a: Achievement, user_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each player's value for ``a``'s rule (missing: no value yet, e.g. no season finished)."""
    ids = list(user_ids)
    found: dict[int, object] = {}
    profiles = UserProfile.objects.filter(user_id__in=ids)
    if a.kind == TOTAL_XP:
        found = dict(profiles.values_list("user_id", "total_xp"))
    elif a.kind == LEVEL:
        found = dict(profiles.values_list("user_id", "level"))
    elif a.kind == ENTRIES:
        found = dict(profiles.values_list("user_id", "entries_count"))
    elif a.kind == LAYER:
        found = {u: layer_for_xp(a.mode, xp).order for u, xp in profiles.values_list("user_id", f"{a.mode}_xp")}
    elif a.kind == STREAK:
        states = StreakState.objects.filter(user_id__in=ids)
        if a.mode:
            states = states.filter(mode=a.mode)
        found = dict(states.values("user_id").annotate(v=Max("longest")).values_list("user_id", "v"))
    elif a.kind in (ACTIVITY_UNITS, QUESTS, REVIEWS):
        entries = XPEntry.objects.filter(user_id__in=ids)
        if a.kind == ACTIVITY_UNITS:
            rows = entries.filter(activity__key=a.activity_key).values("user_id").annotate(v=Sum("units"))
        else:
            keys = QUEST_KEYS if a.kind == QUESTS else (COMMUNITY_REVIEW_ACTIVITY,)
            rows = (
                entries.filter(activity__key__in=keys, corrects__isnull=True).values("user_id").annotate(v=Count("id"))
            )
        found = dict(rows.values_list("user_id", "v"))
    elif a.kind in (SEASON_RANK, SEASON_LEAGUE):
        results = SeasonResult.objects.filter(user_id__in=ids)
        if a.mode:
            results = results.filter(mode=a.mode)
        if a.kind == SEASON_RANK:
            ranks = results.filter(rank__isnull=False).values("user_id").annotate(v=Min("rank"))
            found = dict(ranks.values_list("user_id", "v"))
        else:
            best: dict[int, int] = {}
            for user_id, league in results.values_list("user_id", "new_league"):
                best[user_id] = max(best.get(user_id, 0), LEAGUES.index(league) + 1)
            found = dict(best)
    return {u: Decimal(str(v)) for u, v in found.items() if v is not None}


def met_tiers(a: Achievement, value: Decimal | None) -> list[str]:
    if value is None:
        return []
    if a.kind in AT_MOST_KINDS:
        return [tier for tier, threshold in a.thresholds() if value <= threshold]
    return [tier for tier, threshold in a.thresholds() if value >= threshold]
