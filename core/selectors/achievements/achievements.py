"""Reads for streaks, achievements, trophies and boosts (never write)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import translation

from achievements.models import Achievement, AchievementUnlock, SeasonTrophy, StreakState, XPBoost
from core.constants import streak_rules
from core.constants.layers import LADDERS
from core.constants.modes import MODES
from core.selectors.achievements.achievement_values import met_tiers, values_for
from core.utils.dates import utc_now
from users.models import CustomUser


def _lang() -> str:
    return "de" if (translation.get_language() or "en").lower().startswith("de") else "en"


def _text(a: Achievement, field: str) -> str:
    value = getattr(a, f"{field}_{_lang()}")
    return str(value or getattr(a, f"{field}_en"))


def streaks_document(user: CustomUser, now: datetime | None = None) -> dict[str, Any]:
    """Per mode: current, longest, freezes held, today_done and ends_at, as of the player's local
    today (missed days spend held freezes by themselves; more missed days than freezes: 0)."""
    now = now or utc_now()
    zone = ZoneInfo(user.timezone or "UTC")
    today = now.astimezone(zone).date()
    states = {s.mode: s for s in StreakState.objects.filter(user=user)}
    document: dict[str, Any] = {}
    for mode in MODES:
        state = states.get(mode)
        rule = (
            streak_rules.Streak(state.current, state.longest, state.freezes, state.last_day, state.last_active_day)
            if state
            else streak_rules.Streak()
        )
        settled = streak_rules.settle(rule, today)
        lost_day = streak_rules.lost_at_day(rule, today)
        document[mode] = {
            "current": settled.current,
            "longest": rule.longest,
            "freezes": settled.freezes,
            "today_done": rule.last_active_day == today,
            "ends_at": datetime.combine(lost_day, time(), tzinfo=zone).astimezone(ZoneInfo("UTC"))
            if lost_day
            else None,
        }
    return document


def profile_extras(user: CustomUser, now: datetime | None = None) -> dict[str, Any]:
    """What the own profile shows of streaks and achievements, in one query: current and longest
    streak per mode (as of the local today) and the count of achievements unlocked."""
    today = (now or utc_now()).astimezone(ZoneInfo(user.timezone or "UTC")).date()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT NULL, 0, 0, 0, NULL::date, (SELECT count(DISTINCT u.achievement_id)
                    FROM {AchievementUnlock._meta.db_table} u WHERE u.user_id = %(uid)s)
                UNION ALL
                SELECT s.mode, s.current, s.longest, s.freezes, s.last_day, NULL
                FROM {StreakState._meta.db_table} s WHERE s.user_id = %(uid)s""",
            {"uid": user.pk},
        )
        rows = cursor.fetchall()
    streaks = {mode: {"current": 0, "longest": 0} for mode in MODES}
    count = 0
    for mode, current, longest, freezes, last_day, unlocked in rows:
        if mode is None:
            count = int(unlocked)
            continue
        settled = streak_rules.settle(streak_rules.Streak(current, longest, freezes, last_day), today)
        streaks[mode] = {"current": settled.current, "longest": longest}
    return {"streaks": streaks, "achievements_count": count}


def catalogue_document(user: CustomUser) -> list[dict[str, Any]]:
    """Every active achievement with the player's value and tiers (secret ones only once unlocked)."""
    unlocked: dict[int, dict[str, datetime]] = {}
    for achievement_id, tier, at in AchievementUnlock.objects.filter(user=user).values_list(
        "achievement_id", "tier", "unlocked_at"
    ):
        unlocked.setdefault(achievement_id, {})[tier] = at
    items = []
    for a in Achievement.objects.filter(is_active=True):
        if a.secret and a.pk not in unlocked:
            continue
        value = values_for(a, [user.pk]).get(user.pk)
        met = set(met_tiers(a, value))
        items.append(
            {
                **_achievement(a),
                "value": value,
                "tiers": [
                    {
                        "tier": tier,
                        "threshold": threshold,
                        "met": tier in met,
                        "unlocked_at": unlocked.get(a.pk, {}).get(tier),
                    }
                    for tier, threshold in a.thresholds()
                ],
            }
        )
    return items


def _achievement(a: Achievement) -> dict[str, Any]:
    return {
        "key": a.key,
        "name": _text(a, "name"),
        "description": _text(a, "description"),
        "icon": a.icon,
        "secret": a.secret,
        "kind": a.kind,
        "mode": a.mode or None,
    }


def latest_badges(user: CustomUser, limit: int = 4) -> list[tuple[str, str]]:
    """(key, name) of the achievements the player unlocked most recently (rank cards)."""
    unlocks = AchievementUnlock.objects.filter(user=user).select_related("achievement").order_by("-unlocked_at", "-id")
    seen: dict[str, str] = {}
    for unlock in unlocks[: limit * 3]:
        seen.setdefault(unlock.achievement.key, _text(unlock.achievement, "name"))
    return list(seen.items())[:limit]


def unlocked_document(user: CustomUser) -> dict[str, Any]:
    """What a player unlocked (public): achievement tiers and season trophies."""
    unlocks = AchievementUnlock.objects.filter(user=user).select_related("achievement").order_by("-unlocked_at", "-id")
    return {
        "achievements": [
            {**_achievement(u.achievement), "tier": u.tier, "unlocked_at": u.unlocked_at} for u in unlocks
        ],
        "trophies": trophies_of(user),
    }


def trophies_of(user: CustomUser) -> list[dict[str, Any]]:
    return [
        {"season": t.season_id, "mode": t.mode, "league": t.league or None, "rank": t.rank, "xp": t.xp}
        for t in SeasonTrophy.objects.filter(user=user)
    ]


def boosts_document(now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    now = now or utc_now()
    active: list[dict[str, Any]] = []
    upcoming: list[dict[str, Any]] = []
    for b in XPBoost.objects.filter(ends_at__gt=now).select_related("activity").order_by("starts_at", "id"):
        (active if b.starts_at <= now else upcoming).append(
            {
                "id": b.pk,
                "name": b.name,
                "multiplier": b.multiplier,
                "starts_at": b.starts_at,
                "ends_at": b.ends_at,
                "mode": b.mode or (b.activity.mode if b.activity else None),
                "activity": b.activity.key if b.activity else None,
                "layer": _layer_code(b),
            }
        )
    return {"active": active, "upcoming": upcoming}


def _layer_code(b: XPBoost) -> str | None:
    if b.layer is None or not b.mode:
        return None

    ladder = LADDERS[b.mode]
    return ladder[b.layer].code if 0 <= b.layer < len(ladder) else None
