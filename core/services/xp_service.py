"""The one way XP enters or leaves the ledger.

Every caller (API for players and bots, Discord, admin) goes through ``award_xp`` or
``correct_entry``. Guarantees:

- XP is floor(units x XP per unit) in exact decimal arithmetic.
- The ledger row, the profile totals and level, the daily usage, the season score and the layer
  status change together or not at all, with no lost update under any concurrency: on
  PostgreSQL as one SQL statement (row-level upserts that re-read the latest committed row), on
  other databases in one transaction that locks the player's profile first.
- Rules enforced by the database itself (a CHECK for the daily cap, a unique index for the
  Idempotency-Key) so two racing requests cannot both pass them.
- Side effects (the Redis rank index) run only after commit.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from core.constants.layers import Layer, layer_for_xp, layer_order_sql
from core.constants.leagues import DEFAULT_LEAGUE
from core.constants.levels import level_for_xp
from core.constants.modes import MODES
from core.exceptions import (
    AlreadyCorrected,
    DailyCapExceeded,
    DomainError,
    IdempotencyKeyReused,
    InactiveActivity,
    ModeMismatch,
    NotCorrectable,
    ReasonRequired,
    UnitsNotPositive,
    UnitsOverEntryMaximum,
    UnknownActivity,
)
from core.services import domain_events, season_service
from core.utils.dates import month_bounds, season_id_for, utc_day, utc_now
from layers.models import CyberLayerStatus, LayerChange, RealityLayerStatus
from seasons.models import SeasonScore
from xp.models import ActivityType, DailyUsage, UserProfile, XPEntry

if TYPE_CHECKING:
    from users.models import CustomUser, ServiceAPIKey

CAP_CONSTRAINT = "xp_daily_usage_within_cap"
IDEMPOTENCY_CONSTRAINT = "xp_entry_unique_idempotency_key"
LAYER_STATUS_MODELS: dict[str, type[RealityLayerStatus] | type[CyberLayerStatus]] = {
    "reality": RealityLayerStatus,
    "cyber": CyberLayerStatus,
}


@dataclass(frozen=True)
class ProfileTotals:
    total_xp: int
    reality_xp: int
    cyber_xp: int
    level: int
    reality_league: str
    cyber_league: str

    @classmethod
    def of(cls, profile: UserProfile) -> ProfileTotals:
        return cls(
            profile.total_xp,
            profile.reality_xp,
            profile.cyber_xp,
            profile.level,
            profile.reality_league,
            profile.cyber_league,
        )

    def mode_xp(self, mode: str) -> int:
        return int(getattr(self, f"{mode}_xp"))


@dataclass(frozen=True)
class LevelUp:
    from_level: int
    to_level: int


@dataclass(frozen=True)
class LayerUp:
    mode: str
    from_layer: Layer
    to_layer: Layer


@dataclass(frozen=True)
class Award:
    entry: XPEntry
    profile: ProfileTotals
    # This season's XP per mode right after the entry (None: not known without another query).
    season_xp: dict[str, int | None]
    level_up: LevelUp | None
    layer_up: LayerUp | None
    duplicate: bool
    score: season_service.ScoreState | None = None  # the season score row after this entry
    index: season_service.IndexHint | None = None  # what the write learnt about the rank index


def xp_for_units(activity: ActivityType, units: Decimal) -> int:
    """floor(units x XP per unit), exactly (5.3 km x 300 = 1590, never 1589)."""
    return int((Decimal(units) * activity.xp_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def get_activity(key: str) -> ActivityType:
    """The activity with ``key``; raises UnknownActivity."""
    try:
        return ActivityType.objects.get(key=key)
    except ActivityType.DoesNotExist:
        raise UnknownActivity(activity=key) from None


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
) -> Award:
    """Append one ledger entry for ``user`` and update everything derived from it, atomically.

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
) -> Award:
    if isinstance(activity, str):
        activity = get_activity(activity)
    if not activity.is_active:
        raise InactiveActivity(activity=activity.key)
    if mode is not None and mode != activity.mode:
        raise ModeMismatch(activity=activity.key, mode=mode)
    units = Decimal(units)
    if units <= 0:
        raise UnitsNotPositive()
    if units > activity.max_units_per_entry:
        raise UnitsOverEntryMaximum(max_units_per_entry=str(activity.max_units_per_entry))
    if activity.daily_unit_cap is not None and units > activity.daily_unit_cap:
        raise DailyCapExceeded(daily_unit_cap=str(activity.daily_unit_cap))

    write = _Write(
        user_id=user.pk,
        activity=activity,
        mode=activity.mode,
        units=units,
        xp=xp_for_units(activity, units),
        source=source,
        submitted_by_id=submitted_by.pk if submitted_by else None,
        api_key_id=api_key.pk if api_key else None,
        idempotency_key=idempotency_key or None,
        note=note,
        now=utc_now(),
    )
    try:
        with _statement_scope():
            award = _award_postgresql(write) if connection.vendor == "postgresql" else _award_orm(write)
    except IntegrityError as exc:
        # A retry may trip the daily cap (the first request used it up) before the unique index:
        # whatever rule fired, an existing entry for this key means "answer as the first time".
        if (
            write.idempotency_key
            and XPEntry.objects.filter(user_id=write.user_id, idempotency_key=write.idempotency_key).exists()
        ):
            return _replay(user_id=write.user_id, key=write.idempotency_key, activity=activity, units=units)
        if _violated_constraint(exc) == CAP_CONSTRAINT:
            raise DailyCapExceeded(daily_unit_cap=str(activity.daily_unit_cap)) from None
        raise
    season_service.index_on_commit(award.score, award.index)
    return award


def correct_entry(*, entry: XPEntry, reason: str, corrected_by: CustomUser | None) -> XPEntry:
    """Reverse ``entry`` with a new ledger entry of the opposite XP; audited (who, when, why).

    The correction counts toward the corrected entry's season. Raises ReasonRequired,
    NotCorrectable (a correction itself), AlreadyCorrected (one correction per entry).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if entry.corrects_id is not None or entry.xp < 0:
        raise NotCorrectable()
    write = _Write(
        user_id=entry.user_id,
        activity=entry.activity,
        mode=entry.mode,
        units=-entry.units,
        xp=-entry.xp,
        source="admin",
        submitted_by_id=corrected_by.pk if corrected_by else None,
        api_key_id=None,
        idempotency_key=None,
        note="",
        now=utc_now(),
        corrects_id=entry.pk,
        reason=reason,
        season_id=entry.season_id,
    )
    try:
        with transaction.atomic():
            award = _award_orm(write)
    except IntegrityError:
        if XPEntry.objects.filter(corrects_id=entry.pk).exists():
            raise AlreadyCorrected() from None
        raise
    season_service.index_on_commit(award.score)
    return award.entry


# --- internals --------------------------------------------------------------------------------


@dataclass
class _Write:
    user_id: int
    activity: ActivityType
    mode: str
    units: Decimal
    xp: int
    source: str
    submitted_by_id: int | None
    api_key_id: Any
    idempotency_key: str | None
    note: str
    now: datetime
    corrects_id: int | None = None
    reason: str = ""
    season_id: str | None = None

    def __post_init__(self) -> None:
        if self.season_id is None:
            self.season_id = season_id_for(self.now)


def _statement_scope() -> contextlib.AbstractContextManager[Any]:
    """A savepoint when the caller already holds a transaction (so a refused write leaves it
    usable); nothing otherwise: one statement in autocommit is its own transaction."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        return transaction.atomic()
    return contextlib.nullcontext()


def _violated_constraint(exc: IntegrityError) -> str | None:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(exc)
    if CAP_CONSTRAINT in text or "CHECK constraint failed" in text and "xp_dailyusage" in text:
        return CAP_CONSTRAINT
    if "xp_xpentry.user_id, xp_xpentry.idempotency_key" in text or IDEMPOTENCY_CONSTRAINT in text:
        return IDEMPOTENCY_CONSTRAINT
    return None


def _level_up(total_after: int, xp: int) -> LevelUp | None:
    before, after = level_for_xp(total_after - xp), level_for_xp(total_after)
    return LevelUp(before, after) if before != after else None


def _layer_up(mode: str, mode_after: int, xp: int) -> LayerUp | None:
    before, after = layer_for_xp(mode, mode_after - xp), layer_for_xp(mode, mode_after)
    return LayerUp(mode, before, after) if before != after else None


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
        level_up=_level_up(entry.total_xp_after, entry.xp),
        layer_up=_layer_up(entry.mode, entry.mode_xp_after, entry.xp),
        duplicate=True,
    )


def _ensure_season(season_id: str) -> bool:
    """Make the season's row if missing; True when this call made it (its boards start empty)."""
    from seasons.models import Season

    starts_at, ends_at = month_bounds(season_id)
    _, created = Season.objects.get_or_create(id=season_id, defaults={"starts_at": starts_at, "ends_at": ends_at})
    return created


def _award_orm(w: _Write) -> Award:
    """The portable write (SQLite in development; corrections everywhere). Caller holds a
    transaction. The profile row is locked first, so every other row of this player is only
    changed under that lock (the same order as the PostgreSQL statement: no deadlock)."""
    assert w.season_id is not None
    season_created = _ensure_season(w.season_id)
    profile, _ = UserProfile.objects.select_for_update().get_or_create(user_id=w.user_id)
    before = ProfileTotals.of(profile)
    mode_field = f"{w.mode}_xp"
    total_after = before.total_xp + w.xp
    mode_after = before.mode_xp(w.mode) + w.xp

    if w.corrects_id is None:
        usage, _ = DailyUsage.objects.get_or_create(
            user_id=w.user_id, activity=w.activity, day=utc_day(w.now), defaults={"cap": w.activity.daily_unit_cap}
        )
        DailyUsage.objects.filter(pk=usage.pk).update(units=F("units") + w.units, cap=w.activity.daily_unit_cap)

    entry = XPEntry.objects.create(
        user_id=w.user_id,
        activity=w.activity,
        mode=w.mode,
        units=w.units,
        xp=w.xp,
        source=w.source,
        submitted_by_id=w.submitted_by_id,
        api_key_id=w.api_key_id,
        idempotency_key=w.idempotency_key,
        note=w.note,
        corrects_id=w.corrects_id,
        reason=w.reason,
        season_id=w.season_id,
        total_xp_after=total_after,
        mode_xp_after=mode_after,
        created_at=w.now,
    )
    UserProfile.objects.filter(pk=w.user_id).update(
        total_xp=F("total_xp") + w.xp,
        **{mode_field: F(mode_field) + w.xp},
        level=level_for_xp(total_after),
        updated_at=w.now,
    )
    score, created = SeasonScore.objects.get_or_create(
        user_id=w.user_id,
        season_id=w.season_id,
        mode=w.mode,
        defaults={"xp": w.xp, "league": before.__getattribute__(f"{w.mode}_league"), "reached_at": w.now},
    )
    if not created:
        SeasonScore.objects.filter(pk=score.pk).update(xp=F("xp") + w.xp, reached_at=w.now, version=F("version") + 1)
        score.refresh_from_db()

    layer_up = _layer_up(w.mode, mode_after, w.xp)
    if layer_up is not None:
        LAYER_STATUS_MODELS[w.mode].objects.update_or_create(
            user_id=w.user_id, defaults={"layer": layer_up.to_layer.order, "reached_at": w.now}
        )
        LayerChange.objects.create(
            user_id=w.user_id,
            mode=w.mode,
            from_layer=layer_up.from_layer.order,
            to_layer=layer_up.to_layer.order,
            entry=entry,
            reason="correction" if w.corrects_id else "xp",
            created_at=w.now,
        )
    domain_events.record(
        domain_events.award_events(
            user_id=w.user_id,
            entry_id=entry.pk,
            mode=w.mode,
            season_id=w.season_id,
            level_from=level_for_xp(total_after - w.xp),
            level_to=level_for_xp(total_after),
            total_xp=total_after,
            layer_from=layer_for_xp(w.mode, mode_after - w.xp).order,
            layer_to=layer_for_xp(w.mode, mode_after).order,
            mode_xp=mode_after,
            xp=w.xp,
            activity=w.activity.key,
            units=str(w.units),
            source=w.source,
            corrects_id=w.corrects_id,
            reason=w.reason,
        ),
        now=w.now,
    )
    after = ProfileTotals(
        total_xp=total_after,
        reality_xp=before.reality_xp + (w.xp if w.mode == "reality" else 0),
        cyber_xp=before.cyber_xp + (w.xp if w.mode == "cyber" else 0),
        level=level_for_xp(total_after),
        reality_league=before.reality_league,
        cyber_league=before.cyber_league,
    )
    entry.activity = w.activity
    return Award(
        entry=entry,
        profile=after,
        season_xp={w.mode: score.xp},
        level_up=_level_up(total_after, w.xp),
        layer_up=layer_up,
        duplicate=False,
        score=season_service.score_state(score),
        index=season_service.IndexHint(season_created=season_created, needs_repair=False),
    )


def _award_sql(mode: str) -> str:
    """The whole award as one statement (PostgreSQL). Every CTE reads the profile upsert's
    row, so the profile row lock is taken first and the rest happen only if it succeeded. A
    violated rule (daily cap CHECK, Idempotency-Key unique index) aborts the whole statement."""
    other = "cyber" if mode == "reality" else "reality"
    new_layer = layer_order_sql(mode, "prof.mode_xp")
    old_layer = layer_order_sql(mode, "(prof.mode_xp - %(xp)s)")
    return f"""
WITH prof AS (
    INSERT INTO xp_userprofile AS p
        (user_id, total_xp, reality_xp, cyber_xp, level, reality_league, cyber_league, updated_at)
    VALUES (%(uid)s, %(xp)s, %(reality_xp)s, %(cyber_xp)s,
            COALESCE((SELECT level FROM xp_level WHERE min_xp <= %(xp)s ORDER BY min_xp DESC LIMIT 1), 1),
            %(league)s, %(league)s, %(now)s)
    ON CONFLICT (user_id) DO UPDATE SET
        total_xp = p.total_xp + EXCLUDED.total_xp,
        {mode}_xp = p.{mode}_xp + EXCLUDED.{mode}_xp,
        level = COALESCE(
            (SELECT level FROM xp_level WHERE min_xp <= p.total_xp + EXCLUDED.total_xp ORDER BY min_xp DESC LIMIT 1), 1
        ),
        updated_at = EXCLUDED.updated_at
    RETURNING p.total_xp, p.reality_xp, p.cyber_xp, p.level, p.reality_league, p.cyber_league,
              p.{mode}_xp AS mode_xp, p.{mode}_league AS league
), season AS (
    INSERT INTO seasons_season (id, starts_at, ends_at, status)
    VALUES (%(sid)s, %(sstart)s, %(send)s, 'open')
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), ins AS (
    INSERT INTO xp_xpentry
        (user_id, activity_id, mode, units, xp, source, submitted_by_id, api_key_id,
         idempotency_key, note, reason, season_id, total_xp_after, mode_xp_after, created_at)
    SELECT %(uid)s, %(aid)s, %(mode)s, %(units)s, %(xp)s, %(source)s, %(by)s, %(key)s,
           %(idem)s, %(note)s, '', %(sid)s, prof.total_xp, prof.mode_xp, %(now)s
    FROM prof
    RETURNING id
), daily AS (
    INSERT INTO xp_dailyusage AS d (user_id, activity_id, day, units, cap)
    SELECT %(uid)s, %(aid)s, %(day)s, %(units)s, %(cap)s FROM prof
    ON CONFLICT (user_id, activity_id, day) DO UPDATE SET units = d.units + EXCLUDED.units, cap = EXCLUDED.cap
), score AS (
    INSERT INTO seasons_seasonscore AS s (user_id, season_id, mode, xp, league, reached_at, version)
    SELECT %(uid)s, %(sid)s, %(mode)s, %(xp)s, prof.league, %(now)s, 1 FROM prof
    ON CONFLICT (season_id, mode, user_id) DO UPDATE SET
        xp = s.xp + EXCLUDED.xp, reached_at = EXCLUDED.reached_at, version = s.version + 1
    RETURNING s.xp, s.league, s.version
), lstatus AS (
    INSERT INTO layers_{mode}layerstatus AS ls (user_id, layer, reached_at)
    SELECT %(uid)s, {new_layer}, %(now)s FROM prof WHERE {new_layer} <> {old_layer}
    ON CONFLICT (user_id) DO UPDATE SET layer = EXCLUDED.layer, reached_at = EXCLUDED.reached_at
), lchange AS (
    INSERT INTO layers_layerchange (user_id, mode, from_layer, to_layer, entry_id, reason, created_at)
    SELECT %(uid)s, %(mode)s, {old_layer}, {new_layer}, ins.id, 'xp', %(now)s
    FROM prof, ins WHERE {new_layer} <> {old_layer}
)
SELECT ins.id, prof.total_xp, prof.reality_xp, prof.cyber_xp, prof.level,
       prof.reality_league, prof.cyber_league, prof.mode_xp, score.xp, score.league, score.version,
       (SELECT o.xp FROM seasons_seasonscore o
        WHERE o.season_id = %(sid)s AND o.mode = '{other}' AND o.user_id = %(uid)s),
       EXISTS (SELECT 1 FROM season) AS season_created,
       EXISTS (SELECT 1 FROM seasons_rankindexrepair r WHERE r.season_id = %(sid)s AND r.mode = %(mode)s)
           AS index_needs_repair
FROM prof, ins, score
"""


_AWARD_SQL = {mode: _award_sql(mode) for mode in MODES}


def _award_postgresql(w: _Write) -> Award:
    assert w.season_id is not None
    starts_at, ends_at = month_bounds(w.season_id)
    params = {
        "uid": w.user_id,
        "aid": w.activity.pk,
        "mode": w.mode,
        "units": w.units,
        "xp": w.xp,
        "reality_xp": w.xp if w.mode == "reality" else 0,
        "cyber_xp": w.xp if w.mode == "cyber" else 0,
        "league": DEFAULT_LEAGUE,
        "now": w.now,
        "sid": w.season_id,
        "sstart": starts_at,
        "send": ends_at,
        "source": w.source,
        "by": w.submitted_by_id,
        "key": w.api_key_id,
        "idem": w.idempotency_key,
        "note": w.note,
        "day": utc_day(w.now),
        "cap": w.activity.daily_unit_cap,
    }
    with connection.cursor() as cursor:
        cursor.execute(_AWARD_SQL[w.mode], params)
        row = cursor.fetchone()
    (entry_id, total, reality, cyber, level, r_league, c_league, mode_after, season_xp, league, version, other_xp) = (
        row[:12]
    )
    season_created, index_needs_repair = row[12:]
    profile = ProfileTotals(total, reality, cyber, level, r_league, c_league)
    entry = XPEntry(
        id=entry_id,
        user_id=w.user_id,
        activity=w.activity,
        mode=w.mode,
        units=w.units,
        xp=w.xp,
        source=w.source,
        submitted_by_id=w.submitted_by_id,
        api_key_id=w.api_key_id,
        idempotency_key=w.idempotency_key,
        note=w.note,
        season_id=w.season_id,
        total_xp_after=total,
        mode_xp_after=mode_after,
        created_at=w.now,
    )
    entry._state.adding = False
    entry._state.db = "default"
    other = "cyber" if w.mode == "reality" else "reality"
    return Award(
        entry=entry,
        profile=profile,
        season_xp={w.mode: season_xp, other: other_xp or 0},
        level_up=_level_up(total, w.xp),
        layer_up=_layer_up(w.mode, mode_after, w.xp),
        duplicate=False,
        score=season_service.ScoreState(w.user_id, w.season_id, w.mode, season_xp, league, w.now, version),
        index=season_service.IndexHint(season_created=season_created, needs_repair=index_needs_repair),
    )
