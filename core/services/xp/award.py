"""Awarding XP: the one way XP enters the ledger (players, apps, bots, Discord, imports, demo data).

Guarantees: XP is floor(units x XP per unit) in exact decimal arithmetic; the write is one
statement (``store.write_entry``) so nothing is lost or counted twice under any concurrency; the
daily cap and the Idempotency-Key are enforced by the database itself; the rank index is written
only after commit.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError

from core.constants.modes import MODES
from core.exceptions import (
    ActivityNotReportable,
    DailyCapExceeded,
    DomainError,
    IdempotencyKeyReused,
    InactiveActivity,
    ModeMismatch,
    UnitsNotPositive,
    UnitsOverEntryMaximum,
    UnknownActivity,
)
from core.services.quests import progress as quest_progress
from core.services.seasons import rank_index
from core.services.xp import store
from core.services.xp.results import Award, ProfileTotals, layer_change, level_change
from core.utils.dates import utc_now
from xp.models import ActivityType, UserProfile, XPEntry

if TYPE_CHECKING:
    from users.models import CustomUser, ServiceAPIKey


def xp_for_units(activity: ActivityType, units: Decimal) -> int:
    """floor(units x XP per unit), exactly (5.3 km x 300 = 1590, never 1589)."""
    return int((Decimal(units) * activity.xp_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def get_activity(key: str) -> ActivityType:
    """The activity with ``key``; raises UnknownActivity."""
    try:
        return ActivityType.objects.get(key=key)
    except ActivityType.DoesNotExist:
        raise UnknownActivity(activity=key) from None


def check_award_rules(activity: ActivityType, units: Decimal, mode: str | None, *, trusted: bool = False) -> None:
    """The activity's rules for one entry (the daily cap over the day is the database's). A
    trusted award (the game's own: quest rewards, approved claims, reviewer rewards) skips the
    per-entry maximum and the daily cap; only it may use a system activity.
    Raises ActivityNotReportable, InactiveActivity, ModeMismatch, UnitsNotPositive,
    UnitsOverEntryMaximum, DailyCapExceeded."""
    if activity.system and not trusted:
        raise ActivityNotReportable(activity=activity.key)
    if not activity.is_active:
        raise InactiveActivity(activity=activity.key)
    if mode is not None and mode != activity.mode:
        raise ModeMismatch(activity=activity.key, mode=mode)
    if units <= 0:
        raise UnitsNotPositive()
    if trusted:
        return
    if units > activity.max_units_per_entry:
        raise UnitsOverEntryMaximum(max_units_per_entry=str(activity.max_units_per_entry))
    if activity.daily_unit_cap is not None and units > activity.daily_unit_cap:
        raise DailyCapExceeded(daily_unit_cap=str(activity.daily_unit_cap))


def award_xp(
    *,
    user: CustomUser,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    trusted: bool = False,
) -> Award:
    """Append one ledger entry for ``user`` and update everything derived from it, atomically.

    ``trusted``: an award the game makes itself (a quest reward, an approved claim, a reviewer
    reward; never a player's or a service key's own report): no per-entry maximum, no daily cap,
    system activities allowed.
    Raises UnknownActivity, InactiveActivity, ModeMismatch, UnitsNotPositive,
    UnitsOverEntryMaximum, DailyCapExceeded, IdempotencyKeyReused. A retry with the same
    ``idempotency_key`` returns the first award with ``duplicate=True`` and changes nothing.
    """
    try:
        return _validated_award(
            user=user,
            activity=activity,
            units=units,
            source=source,
            submitted_by=submitted_by,
            api_key=api_key,
            idempotency_key=idempotency_key,
            note=note,
            mode=mode,
            trusted=trusted,
        )
    except DomainError:
        # A retry whose first request succeeded gets the first answer even if the rules changed
        # since (an admin deactivated the activity or lowered a limit). Only looked up on refusal.
        if idempotency_key and XPEntry.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).exists():
            return _replay(user_id=user.pk, key=idempotency_key, activity=activity, units=Decimal(units))
        raise


def _validated_award(
    *,
    user: CustomUser,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None,
    api_key: ServiceAPIKey | None,
    idempotency_key: str | None,
    note: str,
    mode: str | None,
    trusted: bool,
) -> Award:
    if isinstance(activity, str):
        activity = get_activity(activity)
    units = Decimal(units)
    check_award_rules(activity, units, mode, trusted=trusted)

    write = store.XPWrite(
        user_id=user.pk,
        activity=activity,
        units=units,
        xp=xp_for_units(activity, units),
        source=source,
        submitted_by_id=submitted_by.pk if submitted_by else None,
        api_key_id=api_key.pk if api_key else None,
        idempotency_key=idempotency_key or None,
        note=note,
        now=utc_now(),
        counts_daily_usage=not trusted,
    )
    try:
        with store.statement_scope():
            award = store.write_entry(write)
    except IntegrityError as exc:
        # A retry may trip the daily cap (the first request used it up) before the unique index:
        # whatever rule fired, an existing entry for this key means "answer as the first time".
        if (
            write.idempotency_key
            and XPEntry.objects.filter(user_id=write.user_id, idempotency_key=write.idempotency_key).exists()
        ):
            return _replay(user_id=write.user_id, key=write.idempotency_key, activity=activity, units=units)
        if store.violated_constraint(exc) == store.CAP_CONSTRAINT:
            raise DailyCapExceeded(daily_unit_cap=str(activity.daily_unit_cap)) from None
        raise
    award = replace(
        award,
        quests=quest_progress.after_award(
            user_id=write.user_id, activity=activity, open_quests=award.open_quests, now=write.now
        ),
    )
    rank_index.index_on_commit(award.score, award.index)
    return award


def _replay(*, user_id: int, key: str, activity: ActivityType | str, units: Decimal) -> Award:
    """The first answer for an Idempotency-Key, rebuilt from the ledger's running balance."""
    entry = XPEntry.objects.select_related("activity").get(user_id=user_id, idempotency_key=key)
    activity_key = activity if isinstance(activity, str) else activity.key
    if entry.activity.key != activity_key or entry.units != units:
        raise IdempotencyKeyReused()
    profile = UserProfile.objects.get(user_id=user_id)
    return Award(
        entry=entry,
        profile=ProfileTotals.of(profile),
        season_xp={m: None for m in MODES},
        level_up=level_change(entry.total_xp_after, entry.xp),
        layer_up=layer_change(entry.mode, entry.mode_xp_after, entry.xp),
        duplicate=True,
    )
