"""Awarding XP: the one way XP enters the ledger (players, apps, bots, Discord, imports, quests,
claims, demo data).

Two ways to name the player, one orchestration: ``user`` (an account the caller loaded and
authenticated) or ``credential`` (the fast case of a signed-in player: the session or app token,
the activity's rules as this process knows them and the write quota are proved inside the write
statement itself, so the award needs no other query; docs/hot-path.md).

Guarantees: XP is floor(units x XP per unit) in exact decimal arithmetic; the write is one
statement (``store.write_entry``) so nothing is lost or counted twice under any concurrency; the
daily cap and the Idempotency-Key are enforced by the database itself; the rank index is written
only after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any, overload

from django.db import IntegrityError, connection

from core.constants.claims import needs_judgement
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
from core.selectors.seasons.leaderboard import database_rank, ranks_for
from core.selectors.xp.activity_catalogue import cached_activity, forget_catalogue
from core.selectors.xp.totals import ProfileTotals
from core.services.achievements import boosts, unlocks
from core.services.seasons import cohorts, rank_index
from core.services.xp import hooks, store
from core.services.xp.results import Award, layer_change, level_change
from core.utils.dates import utc_now
from xp.models import ActivityType, UserProfile, XPEntry

if TYPE_CHECKING:
    from core.services.achievements.boosts import AppliedBoost
    from users.models import CustomUser, ServiceAPIKey


@dataclass(frozen=True)
class Credential:
    """A signed-in player as far as the caller can tell without a query, proved by the write
    itself: ``gate`` is ``store.GATE_SESSION`` (with the session key and the password hash the
    session was opened with) or ``store.GATE_TOKEN`` (an app token: the account must be active).
    ``quota_limit`` writes at most in the quota window numbered ``quota_window``."""

    user_id: int
    gate: str
    quota_window: int
    quota_limit: int
    session_key: str | None = None
    password: str | None = None


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


@overload
def award_xp(
    *,
    user: CustomUser,
    credential: None = None,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    trusted: bool = False,
    counted_at: datetime | None = None,
) -> Award: ...


@overload
def award_xp(
    *,
    user: None = None,
    credential: Credential,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    trusted: bool = False,
    counted_at: datetime | None = None,
) -> Award | None: ...


def award_xp(
    *,
    user: CustomUser | None = None,
    credential: Credential | None = None,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    trusted: bool = False,
    counted_at: datetime | None = None,
) -> Award | None:
    """Append one ledger entry for ``user`` and update everything derived from it, atomically.

    Exactly one of ``user`` and ``credential``. With ``credential`` the award is the fast case:
    it returns None, having written nothing, whenever it cannot answer alone (the credential or
    the activity's rules did not hold in the statement, the quota is used up, a rule refused it,
    the Idempotency-Key was used before): the caller then authenticates the player fully and
    calls again with ``user``, which answers every refusal.

    ``trusted``: an award the game makes itself (a quest reward, an approved claim, a reviewer
    reward; never a player's or a service key's own report): no per-entry maximum, no daily cap,
    system activities allowed. ``counted_at`` (trusted awards only): the moment whose local day
    the entry counts on for streaks (an approved claim: when it was submitted); default now.
    Raises UnknownActivity, InactiveActivity, ModeMismatch, UnitsNotPositive,
    UnitsOverEntryMaximum, DailyCapExceeded, IdempotencyKeyReused. A retry with the same
    ``idempotency_key`` returns the first award with ``duplicate=True`` and changes nothing.
    """
    if credential is not None:
        return _checked_award(
            credential,
            source=source,
            activity=activity,
            units=units,
            idempotency_key=idempotency_key,
            note=note,
            mode=mode,
        )
    assert user is not None, "award_xp needs a user or a credential"
    assert counted_at is None or trusted, "only the game's own awards count on another day"
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
            counted_at=counted_at,
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
    counted_at: datetime | None = None,
) -> Award:
    if isinstance(activity, str):
        activity = get_activity(activity)
    units = Decimal(units)
    check_award_rules(activity, units, mode, trusted=trusted)

    write, boost = _entry_to_write(
        user_id=user.pk,
        activity=activity,
        units=units,
        source=source,
        submitted_by_id=submitted_by.pk if submitted_by else None,
        api_key_id=api_key.pk if api_key else None,
        idempotency_key=idempotency_key or None,
        note=note,
        trusted=trusted,
        day_at=counted_at,
    )
    try:
        with store.statement_scope():
            written = store.write_entry(write)
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
    rank_index.index_on_commit(written.score, written.index)
    return store.award_of(write, written, **_after_write(write, written, boost))


def _entry_to_write(
    *,
    user_id: int,
    activity: ActivityType,
    units: Decimal,
    source: str,
    submitted_by_id: int | None,
    api_key_id: object,
    idempotency_key: str | None,
    note: str,
    trusted: bool,
    day_at: datetime | None = None,
) -> tuple[store.XPWrite, AppliedBoost | None]:
    """The ledger entry an award of ``units`` of ``activity`` appends now, with its XP (the
    base XP times the boost in force, if any), and the boost. Every award goes through here,
    whichever way the player was named."""
    now = utc_now()
    base_xp = xp_for_units(activity, units)
    xp, boost = boosts.boosted(activity, base_xp, user_id=user_id, now=now)
    write = store.XPWrite(
        user_id=user_id,
        activity=activity,
        units=units,
        xp=xp,
        base_xp=base_xp,
        multiplier=boost.multiplier if boost else Decimal("1"),
        source=source,
        submitted_by_id=submitted_by_id,
        api_key_id=api_key_id,
        idempotency_key=idempotency_key,
        note=note,
        now=now,
        counts_daily_usage=not trusted,
        day_at=day_at,
    )
    return write, boost


def _after_write(write: store.XPWrite, written: store.WrittenRow, boost: AppliedBoost | None) -> dict[str, Any]:
    """What follows a written award, whichever way the player was named (the rank index aside,
    which each way writes as it can): each step costs no statement unless the award concerns it.
    Returns the Award's fields it adds."""
    cohorts.after_award(written.score)  # the season's first XP in a mode: a cohort
    quests = hooks.advance_quests(
        user_id=write.user_id, activity=write.activity, open_quests=written.open_quests, now=write.now
    )  # only a player with open quests
    unlocked = unlocks.after_write(write, written.totals, written.mode_xp_after, written.day, written.entry_id)
    return {"unlocked": unlocked, "boost": boost, "quests": quests}


def _checked_award(
    credential: Credential,
    *,
    source: str,
    activity: ActivityType | str,
    units: Decimal,
    idempotency_key: str | None,
    note: str,
    mode: str | None,
) -> Award | None:
    found = cached_activity(activity) if isinstance(activity, str) else activity
    if found is None:
        return None
    units = Decimal(units)
    try:
        check_award_rules(found, units, mode)
    except DomainError:
        return None
    if needs_judgement(found, units):  # it may be held for review: judged with the player's history
        return None
    write, boost = _entry_to_write(
        user_id=credential.user_id,
        activity=found,
        units=units,
        source=source,
        submitted_by_id=credential.user_id,
        api_key_id=None,
        idempotency_key=idempotency_key,
        note=note,
        trusted=False,
    )
    check = store.WriteCheck(
        gate=credential.gate,
        quota_window=credential.quota_window,
        quota_limit=credential.quota_limit,
        session_key=credential.session_key,
        password=credential.password,
    )
    try:
        with store.statement_scope():
            checked = store.write_checked_entry(write, check)
    except IntegrityError:  # a retried Idempotency-Key or the daily cap: answered with ``user``
        return None
    if checked is None:  # a check failed: what this process remembered of the activities is stale
        forget_catalogue()
        return None
    written = checked.written
    if connection.in_atomic_block:  # a caller's transaction (tests): the index follows its commit
        rank_index.index_on_commit(written.score, written.index)
        ranks = ranks_for(credential.user_id, write.season_id, dict(written.season_xp))
    else:  # one Redis round trip: the index written and both ranks read
        ranks = rank_index.index_and_rank(written.score, written.index, written.season_xp)
        for each in MODES:
            if each not in ranks:
                ranks[each] = database_rank(write.season_id, each, written.season_xp[each])
    return store.award_of(
        write,
        written,
        identity=checked.identity,
        ranks=ranks,
        writes_in_window=checked.writes_in_window,
        **_after_write(write, written, boost),
    )


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
