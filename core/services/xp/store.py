"""The one statement that writes every XP change (awards and corrections) to PostgreSQL.

One statement, so one round trip and no lost update under any concurrency: every CTE reads the
profile upsert's row, so the player's profile row lock is taken first and the rest happen only
if it succeeded. The ledger row, the profile totals and level, the daily usage (awards only),
the season score and the layer status change together or not at all. Rules the database
enforces (the daily cap CHECK, the Idempotency-Key unique index, one correction per entry)
abort the whole statement with an IntegrityError that names the constraint.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.base import ModelState

from core.constants.layers import layer_order_sql
from core.constants.leagues import DEFAULT_LEAGUE
from core.constants.modes import MODES, other_mode
from core.selectors.accounts.session_gate import session_holds
from core.selectors.xp.totals import PlayerIdentity, ProfileTotals
from core.services.events import domain_events
from core.services.seasons.lifecycle import ScoreState
from core.services.seasons.rank_index import IndexHint
from core.services.xp.results import Award, layer_change, level_change
from core.utils.dates import month_bounds, season_id_for, utc_day
from layers.models import CyberLayerStatus, LayerChange, RealityLayerStatus
from seasons.models import RankIndexRepair, Season, SeasonScore
from users.models import CustomUser
from xp.models import ActivityType, DailyUsage, Level, UserProfile, XPEntry

CAP_CONSTRAINT = "xp_daily_usage_within_cap"
IDEMPOTENCY_CONSTRAINT = "xp_entry_unique_idempotency_key"
LAYER_STATUS_MODELS: dict[str, type[RealityLayerStatus] | type[CyberLayerStatus]] = {
    "reality": RealityLayerStatus,
    "cyber": CyberLayerStatus,
}


@dataclass
class XPWrite:
    """One ledger entry to append. A correction has ``corrects_id``, a reason, the corrected
    entry's season and negative units and XP; it does not count toward daily usage."""

    user_id: int
    activity: ActivityType
    units: Decimal
    xp: int
    source: str
    now: datetime
    submitted_by_id: int | None = None
    api_key_id: Any = None
    idempotency_key: str | None = None
    note: str = ""
    corrects_id: int | None = None
    reason: str = ""
    season_id: str = ""
    # False: a trusted award (the game's own), which neither meets nor uses up the daily cap.
    counts_daily_usage: bool = True
    # A boost (achievements app): ``xp`` is floor(base_xp x multiplier); None: xp is the base.
    base_xp: int | None = None
    multiplier: Decimal = Decimal("1")
    # Trusted awards: the moment whose local day the entry counts on for streaks (an approved
    # claim: when it was submitted); None: ``now``.
    day_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.season_id:
            self.season_id = season_id_for(self.now)

    @property
    def mode(self) -> str:
        return self.activity.mode

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None


def statement_scope() -> contextlib.AbstractContextManager[Any]:
    """A savepoint when the caller already holds a transaction (so a refused write leaves it
    usable); nothing otherwise: one statement in autocommit is its own transaction."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return str(name) if name else None


def _t(model: Any) -> str:
    return str(model._meta.db_table)


# What a checked write verifies inside its own statement (see ``checked_statement``).
GATE_SESSION, GATE_TOKEN = "session", "token"


def _gate_sql(gate: str) -> str:
    """The caller may write and the activity is what the caller validated against: the account
    is active, a session still exists unexpired and the password it was opened with is unchanged
    (what Django's get_user checks), the activity row still has the rules the caller applied."""
    holds = session_holds("u") if gate == GATE_SESSION else "u.is_active"
    return f"""gate AS (
    SELECT u.username, u.display_name, u.avatar_url, u.discord_id FROM {_t(CustomUser)} u
    WHERE u.id = %(uid)s AND {holds}
      AND EXISTS (SELECT 1 FROM {_t(ActivityType)} a
                  WHERE a.id = %(aid)s AND a.key = %(activity_key)s AND a.is_active AND a.mode = %(mode)s
                    AND a.xp_per_unit = %(xp_per_unit)s AND a.max_units_per_entry = %(max_units)s
                    AND a.daily_unit_cap IS NOT DISTINCT FROM %(cap)s
                    AND a.review_above IS NOT DISTINCT FROM %(review_above)s)
), """


def _statement(
    mode: str, *, correction: bool, gate: str | None = None, daily_usage: bool = True, dated: bool = False
) -> str:
    """The write; with ``gate`` (awards only) it is a checked write: it writes only if the gate
    passes and the player's write quota allows it, counts the write in the quota, and returns
    the player's public identity and the quota count too. ``dated`` (trusted awards): the entry
    counts on the local day of ``day_at``, which may lie before the player's last active day (the
    gate then stays where it is)."""
    other = other_mode(mode)
    new_layer = layer_order_sql(mode, "prof.mode_xp")
    old_layer = layer_order_sql(mode, "(prof.mode_xp - %(xp)s)")
    level_of = "COALESCE((SELECT level FROM {level} WHERE min_xp <= {xp} ORDER BY min_xp DESC LIMIT 1), 1)"
    daily = (
        ""
        if correction or not daily_usage
        else f"""
), daily AS (
    INSERT INTO {_t(DailyUsage)} AS d (user_id, activity_id, day, units, cap)
    SELECT %(uid)s, %(aid)s, %(day)s, %(units)s, %(cap)s FROM prof
    ON CONFLICT (user_id, activity_id, day) DO UPDATE SET units = d.units + EXCLUDED.units, cap = EXCLUDED.cap"""
    )
    first_level = level_of.format(level=_t(Level), xp="%(xp)s")
    # The player's local day (streaks): their time zone read in this same statement.
    moment = "%(day_at)s" if dated else "%(now)s"
    local_day = f"({moment} AT TIME ZONE COALESCE((SELECT tz.timezone FROM {_t(CustomUser)} tz WHERE tz.id = %(uid)s), 'UTC'))::date"
    # An award moves the streak gate (the local day before and after it) and counts the entry;
    # a dated one moves it forward only.
    if correction:
        streak_gate = ""
    elif dated:
        streak_gate = f""",
        {mode}_prev_day = CASE WHEN (EXCLUDED.{mode}_active_day >= p.{mode}_active_day) IS NOT FALSE
                               THEN p.{mode}_active_day ELSE p.{mode}_prev_day END,
        {mode}_active_day = GREATEST(p.{mode}_active_day, EXCLUDED.{mode}_active_day),
        entries_count = p.entries_count + 1"""
    else:
        streak_gate = f""",
        {mode}_prev_day = p.{mode}_active_day, {mode}_active_day = EXCLUDED.{mode}_active_day,
        entries_count = p.entries_count + 1"""
    entry_day = "NULL" if correction else local_day if dated else "prof.active_day"
    if gate is None:
        profile_values = f"""(user_id, total_xp, reality_xp, cyber_xp, level, reality_league, cyber_league, updated_at,
         {mode}_active_day, entries_count)
    VALUES (%(uid)s, %(xp)s, %(reality_xp)s, %(cyber_xp)s, {first_level}, %(league)s, %(league)s, %(now)s,
            {local_day}, 1)"""
        quota = ""
        returned = ""
    else:
        profile_values = f"""(user_id, total_xp, reality_xp, cyber_xp, level, reality_league, cyber_league, updated_at,
         write_window, write_count, {mode}_active_day, entries_count)
    SELECT %(uid)s, %(xp)s, %(reality_xp)s, %(cyber_xp)s, {first_level}, %(league)s, %(league)s, %(now)s,
           %(quota_window)s, 1, {local_day}, 1 FROM gate"""
        quota = """,
        write_count = CASE WHEN p.write_window = EXCLUDED.write_window THEN p.write_count + 1 ELSE 1 END,
        write_window = EXCLUDED.write_window
    WHERE p.write_window <> EXCLUDED.write_window OR p.write_count < %(quota_limit)s"""
        returned = ", p.write_count"
    identity = (
        ",\n       gate.username, gate.display_name, gate.avatar_url, gate.discord_id, prof.write_count" if gate else ""
    )
    gate_table = ", gate" if gate else ""
    return f"""
WITH {_gate_sql(gate) if gate else ""}prof AS (
    INSERT INTO {_t(UserProfile)} AS p
        {profile_values}
    ON CONFLICT (user_id) DO UPDATE SET
        total_xp = p.total_xp + EXCLUDED.total_xp,
        {mode}_xp = p.{mode}_xp + EXCLUDED.{mode}_xp,
        level = {level_of.format(level=_t(Level), xp="p.total_xp + EXCLUDED.total_xp")},
        updated_at = EXCLUDED.updated_at{streak_gate}{quota}
    RETURNING p.total_xp, p.reality_xp, p.cyber_xp, p.level, p.reality_league, p.cyber_league,
              p.{mode}_xp AS mode_xp, p.{mode}_league AS league, p.open_quests{returned},
              p.{mode}_prev_day AS prev_day, p.{mode}_active_day AS active_day, p.entries_count
), season AS (
    INSERT INTO {_t(Season)} (id, starts_at, ends_at, status)
    SELECT %(sid)s, %(sstart)s, %(send)s, 'open' FROM prof
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), ins AS (
    INSERT INTO {_t(XPEntry)}
        (user_id, activity_id, mode, units, xp, source, submitted_by_id, api_key_id,
         idempotency_key, note, corrects_id, reason, season_id, total_xp_after, mode_xp_after, created_at,
         base_xp, multiplier, local_day)
    SELECT %(uid)s, %(aid)s, %(mode)s, %(units)s, %(xp)s, %(source)s, %(by)s, %(key)s,
           %(idem)s, %(note)s, %(corrects)s, %(reason)s, %(sid)s, prof.total_xp, prof.mode_xp, %(now)s,
           %(base_xp)s, %(multiplier)s, {entry_day}
    FROM prof
    RETURNING id, local_day{daily}
), score AS (
    INSERT INTO {_t(SeasonScore)} AS s (user_id, season_id, mode, xp, league, reached_at, version)
    SELECT %(uid)s, %(sid)s, %(mode)s, %(xp)s, prof.league, %(now)s, 1 FROM prof
    ON CONFLICT (season_id, mode, user_id) DO UPDATE SET
        xp = s.xp + EXCLUDED.xp, reached_at = EXCLUDED.reached_at, version = s.version + 1
    RETURNING s.xp, s.league, s.version
), lstatus AS (
    INSERT INTO {_t(LAYER_STATUS_MODELS[mode])} AS ls (user_id, layer, reached_at)
    SELECT %(uid)s, {new_layer}, %(now)s FROM prof WHERE {new_layer} <> {old_layer}
    ON CONFLICT (user_id) DO UPDATE SET layer = EXCLUDED.layer, reached_at = EXCLUDED.reached_at
), lchange AS (
    INSERT INTO {_t(LayerChange)} (user_id, mode, from_layer, to_layer, entry_id, reason, created_at)
    SELECT %(uid)s, %(mode)s, {old_layer}, {new_layer}, ins.id, %(change_reason)s, %(now)s
    FROM prof, ins WHERE {new_layer} <> {old_layer}
){domain_events.award_events_sql(mode, correction=correction, new_layer=new_layer, old_layer=old_layer)}
SELECT ins.id, prof.total_xp, prof.reality_xp, prof.cyber_xp, prof.level,
       prof.reality_league, prof.cyber_league, prof.mode_xp, score.xp, score.league, score.version,
       (SELECT o.xp FROM {_t(SeasonScore)} o
        WHERE o.season_id = %(sid)s AND o.mode = '{other}' AND o.user_id = %(uid)s),
       EXISTS (SELECT 1 FROM season) AS season_created,
       EXISTS (SELECT 1 FROM {_t(RankIndexRepair)} r WHERE r.season_id = %(sid)s AND r.mode = %(mode)s)
           AS index_needs_repair, prof.open_quests{identity},
       prof.prev_day, prof.active_day, prof.entries_count, ins.local_day
FROM prof, ins, score{gate_table}
"""


STATEMENTS: dict[tuple[str, bool], str] = {
    (mode, correction): _statement(mode, correction=correction) for mode in MODES for correction in (False, True)
}
# Trusted awards (quest rewards, approved claims, reviewer rewards): no daily usage.
TRUSTED_STATEMENTS: dict[str, str] = {
    mode: _statement(mode, correction=False, daily_usage=False, dated=True) for mode in MODES
}
CHECKED_STATEMENTS: dict[tuple[str, str], str] = {
    (mode, gate): _statement(mode, correction=False, gate=gate) for mode in MODES for gate in (GATE_SESSION, GATE_TOKEN)
}


def parameters(w: XPWrite) -> dict[str, Any]:
    starts_at, ends_at = month_bounds(w.season_id)
    return {
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
        "corrects": w.corrects_id,
        "reason": w.reason,
        "change_reason": "correction" if w.is_correction else "xp",
        "day": utc_day(w.now),
        "cap": w.activity.daily_unit_cap,
        "base_xp": w.xp if w.base_xp is None else w.base_xp,
        "multiplier": w.multiplier,
        "day_at": w.day_at or w.now,
        **domain_events.award_event_params(activity_key=w.activity.key, units=w.units),
    }


@dataclass(frozen=True)
class WrittenRow:
    """The columns every XP statement returns, read into what the callers build on."""

    entry_id: int
    totals: ProfileTotals
    mode_xp_after: int
    season_xp: dict[str, int]  # this season's XP per mode after the write
    score: ScoreState
    index: IndexHint
    day: ActivityDay | None = None  # awards only: the streak gate
    open_quests: int = 0  # the player's open quests (UserProfile.open_quests): 0 = no quest to advance


@dataclass(frozen=True)
class ActivityDay:
    """What an award's statement says about the player's local day (streaks, achievements)."""

    local_day: date  # the entry's local day
    # The streak must count the day: the player's first award of this local day in this mode, or
    # a day before the last active one (an approved claim counts on the day it was submitted).
    first_of_day: bool
    entries_count: int  # award entries in the ledger, this one included


def _written(w: XPWrite, row: tuple[Any, ...]) -> WrittenRow:
    (entry_id, total, reality, cyber, level, r_league, c_league, mode_after, season_xp, league, version, other_xp) = (
        row[:12]
    )
    season_created, index_needs_repair = row[12:14]
    prev_day, active_day, entries_count, local_day = row[-4:]
    return WrittenRow(
        entry_id=entry_id,
        totals=ProfileTotals(total, reality, cyber, level, r_league, c_league),
        mode_xp_after=mode_after,
        season_xp={w.mode: season_xp, other_mode(w.mode): other_xp or 0},
        score=ScoreState(w.user_id, w.season_id, w.mode, season_xp, league, w.now, version),
        index=IndexHint(season_created=season_created, needs_repair=index_needs_repair),
        day=None
        if w.is_correction
        else ActivityDay(local_day, prev_day != active_day or local_day != active_day, entries_count),
        open_quests=row[14],
    )


def write_entry(w: XPWrite) -> WrittenRow:
    """Append ``w`` and update everything derived from it in one statement; ``award_of`` makes
    the award of what it returns. Raises IntegrityError when a database rule refuses it (see
    ``violated_constraint``)."""
    with connection.cursor() as cursor:
        statement = (
            STATEMENTS[(w.mode, w.is_correction)]
            if w.counts_daily_usage or w.is_correction
            else TRUSTED_STATEMENTS[w.mode]
        )
        cursor.execute(statement, parameters(w))
        return _written(w, cursor.fetchone())


def award_of(w: XPWrite, written: WrittenRow, **extra: Any) -> Award:
    """The award of the write ``w`` from what its statement returned (no query); ``extra``: the
    rest of the Award's fields the caller already holds."""
    entry = ledger_entry(
        id=written.entry_id,
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
        total_xp_after=written.totals.total_xp,
        mode_xp_after=written.mode_xp_after,
        created_at=w.now,
        base_xp=write_base_xp(w),
        multiplier=w.multiplier,
        local_day=written.day.local_day if written.day else None,
    )
    return Award(
        entry=entry,
        profile=written.totals,
        season_xp=dict(written.season_xp),
        level_up=level_change(written.totals.total_xp, w.xp),
        layer_up=layer_change(w.mode, written.mode_xp_after, w.xp),
        duplicate=False,
        score=written.score,
        index=written.index,
        day=written.day,
        open_quests=written.open_quests,
        **extra,
    )


# Every column of a ledger entry, by attribute name (``user_id``, not ``user``).
_ENTRY_COLUMNS = frozenset(f.attname for f in XPEntry._meta.concrete_fields)


def ledger_entry(*, activity: ActivityType, **columns: Any) -> XPEntry:
    """The ledger row a statement just wrote, as the ORM would load it, from what the writer
    already holds (no query). Built as ``Model.from_db`` leaves an instance (every column set,
    saved state) but without running ``Model.__init__`` over twenty keyword arguments on the
    hot path; every column must be given (a missing one would be a deferred field that loads
    itself with a query, so it is refused here)."""
    missing = _ENTRY_COLUMNS - columns.keys() - {"activity_id"}
    if missing:
        raise TypeError(f"ledger_entry needs every column; missing {sorted(missing)}")
    entry = XPEntry.__new__(XPEntry)
    entry.__dict__.update(columns, activity_id=activity.pk)
    state = ModelState()
    state.adding, state.db = False, "default"
    state.fields_cache["activity"] = activity
    entry._state = state
    return entry


def write_base_xp(w: XPWrite) -> int:
    return w.xp if w.base_xp is None else w.base_xp


@dataclass(frozen=True)
class WriteCheck:
    """What a checked write verifies in its own statement: the credential (``gate``: a session
    with its key and the password hash it was opened with, or an app token) and the player's
    write quota (at most ``quota_limit`` writes in the window numbered ``quota_window``)."""

    gate: str
    quota_window: int
    quota_limit: int
    session_key: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class CheckedEntry:
    """What a checked write returns: what every write returns, the player's public identity
    and the writes counted in the quota's window, this one included."""

    written: WrittenRow
    identity: PlayerIdentity
    writes_in_window: int


def write_checked_entry(w: XPWrite, check: WriteCheck) -> CheckedEntry | None:
    """Append the award ``w`` in one statement that also checks ``check`` and the activity's
    rules as ``w.activity`` holds them. None: nothing was written because a check failed (the
    session or account is gone, the activity changed, or the quota is used up). Raises
    IntegrityError when a database rule refuses it, as ``write_entry``."""
    params = parameters(w)
    params.update(
        xp_per_unit=w.activity.xp_per_unit,
        max_units=w.activity.max_units_per_entry,
        review_above=w.activity.review_above,
        quota_window=check.quota_window,
        quota_limit=check.quota_limit,
    )
    if check.gate == GATE_SESSION:
        params.update(session_key=check.session_key, password=check.password)
    with connection.cursor() as cursor:
        cursor.execute(CHECKED_STATEMENTS[(w.mode, check.gate)], params)
        row = cursor.fetchone()
    if row is None:
        return None
    username, display_name, avatar_url, discord_id, writes = row[15:20]
    return CheckedEntry(
        written=_written(w, row),
        identity=PlayerIdentity(w.user_id, username, display_name, avatar_url, discord_id),
        writes_in_window=writes,
    )
