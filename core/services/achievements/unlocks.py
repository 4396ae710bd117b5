"""Unlocking achievements: at the award that reaches a tier (``after_award``), and for everyone
who already qualifies when an achievement is added (``grant``, a resumable job) or a season
closes. Unlocks award no XP. The unique key (user, achievement, tier) makes each unlock happen
once, whatever races."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Sum

from achievements.models import (
    ACTIVITY_UNITS,
    ENTRIES,
    LAYER,
    LEVEL,
    QUESTS,
    REVIEWS,
    STREAK,
    TOTAL_XP,
    Achievement,
    AchievementUnlock,
)
from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY
from core.constants.layers import layer_for_xp
from core.constants.levels import level_for_xp
from core.selectors.achievements import achievement_catalogue
from core.selectors.achievements.achievement_values import QUEST_KEYS, met_tiers, values_for
from core.services.achievements import streaks
from core.services.events import domain_events
from core.utils.dates import utc_now
from events.models import ACHIEVEMENT_UNLOCKED
from users.models import CustomUser
from xp.models import ActivityType, XPEntry

if TYPE_CHECKING:
    from core.selectors.xp.totals import ProfileTotals
    from core.services.xp.store import ActivityDay, XPWrite


@dataclass(frozen=True)
class UnlockedTier:
    key: str
    tier: str
    name_en: str
    name_de: str
    icon: str


@dataclass(frozen=True)
class AwardFacts:
    """What the award path knows right after its statement (both paths have all of it)."""

    user_id: int
    activity: ActivityType
    units: Decimal
    xp: int
    total_xp: int  # after the award
    level: int  # after the award
    mode_xp: int  # lifetime XP in the activity's mode, after the award
    local_day: date | None
    first_of_day: bool
    entries_count: int
    entry_id: int
    now: datetime


def _crossed(a: Achievement, before: Decimal | int | None, after: Decimal | int | None) -> list[str]:
    """The tiers of ``a`` that going from ``before`` to ``after`` reached (at-least kinds)."""
    if after is None:
        return []
    low = before if before is not None else Decimal("-Infinity")
    return [tier for tier, threshold in a.thresholds() if low < threshold <= after]


def _reached(
    tiers: Sequence[tuple[Achievement, str, Decimal]], before: Decimal | int, after: Decimal | int
) -> list[tuple[Achievement, str]]:
    """The (achievement, tier) pairs whose threshold going from ``before`` to ``after`` reached."""
    return [(a, tier) for a, tier, threshold in tiers if before < threshold <= after]


def after_award(facts: AwardFacts) -> tuple[UnlockedTier, ...]:
    """The award's consequences beyond XP: the streak (first award of the local day only) and
    the achievements it unlocked (returned). No query unless a streak day or a threshold is
    reached (or the activity is one an achievement counts units or entries of)."""
    catalogue = achievement_catalogue.current()
    mode = facts.activity.mode
    reached: list[tuple[Achievement, str]] = []
    total_before = facts.total_xp - facts.xp
    reached += _reached(catalogue.tiers_of_kind(TOTAL_XP), total_before, facts.total_xp)
    reached += _reached(catalogue.tiers_of_kind(LEVEL), level_for_xp(total_before), facts.level)
    layers = [each for each in catalogue.tiers_of_kind(LAYER) if each[0].mode == mode]
    if layers:
        before = layer_for_xp(mode, facts.mode_xp - facts.xp).order
        reached += _reached(layers, before, layer_for_xp(mode, facts.mode_xp).order)
    reached += _reached(catalogue.tiers_of_kind(ENTRIES), facts.entries_count - 1, facts.entries_count)
    unit_rules = [a for a in catalogue.of_kind(ACTIVITY_UNITS) if a.activity_key == facts.activity.key]
    count_kind = (
        QUESTS
        if facts.activity.key in QUEST_KEYS
        else REVIEWS
        if facts.activity.key == COMMUNITY_REVIEW_ACTIVITY
        else None
    )
    if count_kind and not catalogue.of_kind(count_kind):
        count_kind = None
    play_day = facts.first_of_day and facts.local_day is not None
    if not (reached or unit_rules or count_kind or play_day):
        return ()  # the common award: no query, no transaction
    # Reads first, outside any transaction: only a write (a streak day, an unlock) opens one.
    if unit_rules:
        after = _units(facts.user_id, facts.activity.key)
        for a in unit_rules:
            reached += [(a, t) for t in _crossed(a, after - facts.units, after)]
    if count_kind:
        count = _count(facts.user_id, QUEST_KEYS if count_kind == QUESTS else (COMMUNITY_REVIEW_ACTIVITY,))
        for a in catalogue.of_kind(count_kind):
            reached += [(a, t) for t in _crossed(a, count - 1, count)]
    if not (reached or play_day):
        return ()
    with transaction.atomic():
        if play_day:
            assert facts.local_day is not None
            played = streaks.play_day(user_id=facts.user_id, mode=mode, day=facts.local_day).played
            if played.after > played.before:
                for a in catalogue.of_kind(STREAK):
                    if a.mode in ("", mode):
                        reached += [(a, t) for t in _crossed(a, played.before, played.after)]
        if not reached:
            return ()
        return unlock(facts.user_id, reached, now=facts.now, entry_id=facts.entry_id)


def _units(user_id: int, activity_key: str) -> Decimal:
    total = XPEntry.objects.filter(user_id=user_id, activity__key=activity_key).aggregate(s=Sum("units"))["s"]
    return Decimal(total or 0)


def _count(user_id: int, activity_keys: Sequence[str]) -> int:
    return XPEntry.objects.filter(user_id=user_id, activity__key__in=activity_keys, corrects__isnull=True).count()


def unlock(
    user_id: int, reached: Iterable[tuple[Achievement, str]], *, now: datetime, entry_id: int | None = None
) -> tuple[UnlockedTier, ...]:
    """Insert the tiers not yet unlocked and record achievement_unlocked for each (the caller's
    transaction). Returns what this call unlocked (a tier unlocked before is not repeated)."""
    pairs = list({(a.pk, tier): (a, tier) for a, tier in reached}.values())
    if not pairs:
        return ()
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(pairs))
    params: list[Any] = []
    for a, tier in pairs:
        params += [user_id, a.pk, tier, now, entry_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AchievementUnlock._meta.db_table} (user_id, achievement_id, tier, unlocked_at, entry_id) "
            f"VALUES {values} ON CONFLICT (user_id, achievement_id, tier) DO NOTHING RETURNING achievement_id, tier",
            params,
        )
        inserted = {(row[0], row[1]) for row in cursor.fetchall()}
    by_id = {a.pk: a for a, _ in pairs}
    done = tuple(
        UnlockedTier(by_id[aid].key, tier, by_id[aid].name_en, by_id[aid].name_de, by_id[aid].icon)
        for aid, tier in sorted(inserted, key=lambda x: (by_id[x[0]].position, by_id[x[0]].key, x[1]))
    )
    if done:
        domain_events.record(
            [
                domain_events.NewEvent(
                    ACHIEVEMENT_UNLOCKED,
                    user_id,
                    {"achievement": u.key, "tier": u.tier, "name": u.name_en, "icon": u.icon},
                )
                for u in done
            ],
            now=now,
        )
    return done


def grant_to(a: Achievement, user_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Unlock ``a``'s tiers for each of ``user_ids`` who qualifies (the caller's transaction).
    Returns the unlocks added."""
    now = now or utc_now()
    added = 0
    for user_id, value in values_for(a, user_ids).items():
        tiers = met_tiers(a, value)
        if tiers:
            added += len(unlock(user_id, [(a, t) for t in tiers], now=now))
    return added


def after_write(
    w: XPWrite, totals: ProfileTotals, mode_xp: int, day: ActivityDay | None, entry_id: int
) -> tuple[UnlockedTier, ...]:
    """``after_award`` from what both award paths hold right after the statement."""
    if day is None:
        return ()
    return after_award(
        AwardFacts(
            user_id=w.user_id,
            activity=w.activity,
            units=w.units,
            xp=w.xp,
            total_xp=totals.total_xp,
            level=totals.level,
            mode_xp=mode_xp,
            local_day=day.local_day,
            first_of_day=day.first_of_day,
            entries_count=day.entries_count,
            entry_id=entry_id,
            now=w.now,
        )
    )


# --- the retroactive grant (a resumable job over the players) -----------------------------------

GRANT_BATCH = 500


def grant_batch(achievement_id: int, *, batch: int = GRANT_BATCH) -> bool:
    """Grant ``achievement_id`` to the next ``batch`` players after its cursor, and move the
    cursor in the same transaction (a killed run resumes where it was). True: finished."""
    with transaction.atomic():
        a = Achievement.objects.select_for_update().filter(pk=achievement_id).first()
        if a is None or a.granted_at is not None:
            return True
        if not a.is_active:
            return True

        ids = list(
            CustomUser.objects.filter(pk__gt=a.granted_through).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if ids:
            grant_to(a, ids)
            a.granted_through = ids[-1]
        if len(ids) < batch:
            a.granted_at = utc_now()
        a.save(update_fields=["granted_through", "granted_at"])
        return a.granted_at is not None


def grant(achievement_id: int, *, batch: int = GRANT_BATCH) -> None:
    """Grant ``achievement_id`` to everyone who already qualifies (batch after batch)."""
    while not grant_batch(achievement_id, batch=batch):
        pass
