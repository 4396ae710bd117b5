"""Recording domain events and handing them to the task queue, inside the caller's transaction.

Guarantees (docs/events.md):

- ``record`` writes the events in the caller's transaction, so a rolled-back write has no event
  and a committed one has each of its events exactly once. The award writes its events inside
  its own SQL statement instead (``award_events_sql``: the same rules, as CTEs).
- Each event about a player gets that player's next ``sequence`` number: the upsert of the
  player's PlayerEventSequence row re-reads the latest committed row and holds its lock until
  commit, so numbers follow commit order per player and never repeat.
- The event rows are the outbox: the event pump of every worker (events/pump.py) sweeps the
  undispatched ones in batches and fans them out in SQL; no job row is written per award. A
  player's events reach each endpoint in ``sequence`` order (the pump's claim rule).
- ``xp_awarded`` (one per award) is recorded only while an active webhook endpoint or a
  consumer subscribes to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils.module_loading import import_string
from procrastinate.contrib.django.models import ProcrastinateJob

from core.constants.layers import LADDERS
from core.utils.dates import iso_utc, utc_now
from events.models import EVENT_TYPES, OPT_IN_TYPES, XP_AWARDED, DomainEvent, PlayerEventSequence, WebhookEndpoint
from seasons.models import SeasonResult
from ultrabackend.observability.context import current_request_id
from xp.models import Level

logger = logging.getLogger(__name__)
# Tables the set-based statements below write, named by their models.
SEQUENCE_TABLE = PlayerEventSequence._meta.db_table
EVENT_TABLE = DomainEvent._meta.db_table
ENDPOINT_TABLE = WebhookEndpoint._meta.db_table
LEVEL_TABLE = Level._meta.db_table

DISPATCH_TASK = "events.dispatch"
DISPATCH_QUEUE = "events"
GLOBAL_LOCK = "events:global"


def player_lock(user_id: int | None) -> str:
    """The dispatch lock: one player's events are fanned out one job after the other."""
    return f"events:player:{user_id}" if user_id is not None else GLOBAL_LOCK


@dataclass(frozen=True)
class NewEvent:
    type: str
    user_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


# --- consumers (DOMAIN_EVENT_CONSUMERS) --------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    path: str
    handle: Callable[[DomainEvent], None]
    event_types: frozenset[str]


@cache
def _consumers(paths: tuple[str, ...]) -> tuple[Consumer, ...]:
    found = []
    for path in paths:
        handle = import_string(path)
        declared = getattr(handle, "event_types", None)
        types = frozenset(declared) if declared is not None else frozenset(EVENT_TYPES) - frozenset(OPT_IN_TYPES)
        unknown = types - frozenset(EVENT_TYPES)
        if unknown:
            raise ValueError(f"{path}.event_types names unknown event types: {sorted(unknown)}")
        found.append(Consumer(path, handle, types))
    return tuple(found)


def consumers() -> tuple[Consumer, ...]:
    """The in-process consumers of ``settings.DOMAIN_EVENT_CONSUMERS`` (imported once)."""
    return _consumers(tuple(getattr(settings, "DOMAIN_EVENT_CONSUMERS", ())))


def consumer_by_path(path: str) -> Consumer | None:
    return next((c for c in consumers() if c.path == path), None)


def consumers_want(event_type: str) -> bool:
    return any(event_type in c.event_types for c in consumers())


def subscribed_types() -> set[str]:
    """Every type an active endpoint or a consumer subscribes to (one small query)."""
    types: set[str] = set()
    for event_types in WebhookEndpoint.objects.filter(is_active=True, disabled_at__isnull=True).values_list(
        "event_types", flat=True
    ):
        types.update(event_types or [])
    for consumer in consumers():
        types.update(consumer.event_types)
    return types


# --- recording (ORM paths) ----------------------------------------------------------------------


def record(events: Iterable[NewEvent], *, now: datetime | None = None) -> list[DomainEvent]:
    """Write ``events`` and defer their fan-out, in the caller's transaction (the caller holds
    one: ``transaction.atomic``). Opt-in types nobody subscribes to are dropped."""
    pending = list(events)
    if any(e.type in OPT_IN_TYPES for e in pending):
        wanted = subscribed_types()
        pending = [e for e in pending if e.type not in OPT_IN_TYPES or e.type in wanted]
    if not pending:
        return []
    now = now or utc_now()
    per_player: dict[int, int] = {}
    for e in pending:
        if e.user_id is not None:
            per_player[e.user_id] = per_player.get(e.user_id, 0) + 1
    last = _allocate_sequences(per_player)
    next_number = {uid: last[uid] - count + 1 for uid, count in per_player.items()}
    rows = []
    request_id = current_request_id() or ""
    for e in pending:
        sequence = None
        if e.user_id is not None:
            sequence = next_number[e.user_id]
            next_number[e.user_id] += 1
        rows.append(
            DomainEvent(
                type=e.type, user_id=e.user_id, sequence=sequence, data=e.data, created_at=now, request_id=request_id
            )
        )
    created = DomainEvent.objects.bulk_create(rows, batch_size=2000)
    # No job: the event pump of every worker sweeps undispatched events (events/pump.py).
    return created


def _allocate_sequences(counts: dict[int, int]) -> dict[int, int]:
    """Reserve ``counts[user]`` numbers per player; returns each player's new last number.
    Players in id order, so two bulk writers cannot deadlock on each other's rows."""
    if not counts:
        return {}
    users = sorted(counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SEQUENCE_TABLE} AS q (user_id, last)
            SELECT u, n FROM unnest(%s::bigint[], %s::bigint[]) AS t(u, n) ORDER BY u
            ON CONFLICT (user_id) DO UPDATE SET last = q.last + EXCLUDED.last
            RETURNING q.user_id, q.last
            """,
            [users, [counts[u] for u in users]],
        )
        return dict(cursor.fetchall())


def defer_dispatch(event_ids_by_player: dict[int | None, list[int]]) -> None:
    """One ``events.dispatch`` job per player, inserted in the current transaction. A player
    whose dispatch job is still waiting gets no second one (``queueing_lock``, ON CONFLICT DO
    NOTHING): that job fans out every undispatched event of the player when it runs."""
    if not event_ids_by_player:
        return
    players = list(event_ids_by_player)
    with connection.cursor() as cursor:
        cursor.execute(
            DISPATCH_JOBS_SQL,
            [[player_lock(uid) for uid in players], [json.dumps({"user_id": uid}) for uid in players]],
        )


def insert_jobs(jobs: list[tuple[str, str, str | None, int, dict[str, Any]]]) -> None:
    """Insert procrastinate jobs (queue, task name, lock, priority, kwargs) over Django's own
    connection, so they commit with the caller's transaction. (Inside the worker, procrastinate's
    own defer() goes through the worker's connector, another connection: a job could run before
    the rows it names are committed.)"""
    if not jobs:
        return
    with connection.cursor() as cursor:
        cursor.execute(INSERT_JOBS_SQL, insert_jobs_parameters(jobs))


def insert_jobs_parameters(jobs: list[tuple[str, str, str | None, int, dict[str, Any]]]) -> list[list[Any]]:
    """``INSERT_JOBS_SQL``'s parameters for ``jobs`` (the event pump runs it on its own connection)."""
    queues, tasks, locks, priorities, args = zip(*jobs, strict=True)
    return [list(queues), list(tasks), list(locks), list(priorities), [json.dumps(a) for a in args]]


# procrastinate's job table, named by procrastinate's own (read-only) Django model.
JOBS_TABLE = ProcrastinateJob._meta.db_table

INSERT_JOBS_SQL = f"""
INSERT INTO {JOBS_TABLE} (queue_name, task_name, lock, priority, args)
SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[], %s::jsonb[])
"""

DISPATCH_JOBS_SQL = f"""
INSERT INTO {JOBS_TABLE} (queue_name, task_name, lock, queueing_lock, args)
SELECT '{DISPATCH_QUEUE}', '{DISPATCH_TASK}', t.lock, t.lock, t.args::jsonb
FROM unnest(%s::text[], %s::text[]) AS t(lock, args)
ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
"""


# --- event data -----------------------------------------------------------------------------------


def layer_code(mode: str, order: int) -> str:
    return LADDERS[mode][order].code


def league_events(results: Iterable[Any]) -> list[NewEvent]:
    """``league_changed`` for every SeasonResult of a close step that moved the player."""
    return [
        NewEvent(
            "league_changed",
            r.user_id,
            {"mode": r.mode, "season": r.season_id, "from": r.league, "to": r.new_league, "movement": r.movement},
        )
        for r in results
        if r.movement != "stay"
    ]


def season_closed_event(season_id: str, closed_at: datetime) -> NewEvent:
    moved = dict.fromkeys(("up", "down"), 0)
    rows = SeasonResult.objects.filter(season_id=season_id).exclude(movement="stay").values("movement")
    moved.update({row["movement"]: row["n"] for row in rows.annotate(n=Count("id")).order_by()})
    return NewEvent(
        "season_closed",
        None,
        {"season": season_id, "closed_at": iso_utc(closed_at), "promoted": moved["up"], "demoted": moved["down"]},
    )


def participation_event(event_type: str, user_id: int, event: Any) -> NewEvent:
    """``event_joined`` / ``event_left``: the layer event (not to be confused with a domain event)."""
    return NewEvent(
        event_type,
        user_id,
        {"event": {"id": event.pk, "name": event.name, "kind": event.kind, "mode": event.mode}},
    )


def _layer_code_sql(mode: str, order_expr: str) -> str:
    codes = ", ".join(f"'{layer.code}'" for layer in LADDERS[mode])
    return f"(ARRAY[{codes}])[{order_expr} + 1]"


def award_events_sql(mode: str, *, correction: bool, new_layer: str, old_layer: str) -> str:
    """CTEs appended to the XP statement (core/services/xp/store.py, after ``prof``, ``ins`` and
    ``score``): the entry's events and the player's sequence numbers, written by the statement
    itself, so they commit (or roll back) with the entry (the pump sweeps them from there).

    An award tells ``level_up`` and ``layer_up`` when they happen, and ``xp_awarded`` when a
    consumer or an active endpoint subscribes to it; a correction always tells ``correction``
    (and ``layer_down`` when it lowers the layer). An award that tells nothing inserts nothing:
    it costs one lookup of the previous level and one EXISTS over the (small) endpoint table.
    Parameters besides the statement's own: ``award_event_params``."""
    old_code = _layer_code_sql(mode, old_layer)
    new_code = _layer_code_sql(mode, new_layer)
    if correction:
        sources = f"""
    SELECT 1 AS k, 'correction' AS type, jsonb_build_object(
        'entry_id', ins.id, 'corrects', %(corrects)s::bigint, 'xp', %(xp)s::bigint,
        'total_xp', prof.total_xp, 'mode', %(mode)s::text, 'mode_xp', prof.mode_xp,
        'season', %(sid)s::text, 'reason', %(reason)s::text,
        'level_from', ev_level.old_level, 'level_to', prof.level) AS data
    FROM prof, ins, ev_level
    UNION ALL
    SELECT 2, 'layer_down', jsonb_build_object(
        'mode', %(mode)s::text, 'from', {old_code}, 'to', {new_code}, 'mode_xp', prof.mode_xp,
        'entry_id', ins.id, 'reason', 'correction')
    FROM prof, ins WHERE {new_layer} < {old_layer}"""
    else:
        sources = f"""
    SELECT 1 AS k, 'level_up' AS type, jsonb_build_object(
        'from', ev_level.old_level, 'to', prof.level, 'total_xp', prof.total_xp,
        'mode', %(mode)s::text, 'season', %(sid)s::text, 'entry_id', ins.id) AS data
    FROM prof, ins, ev_level WHERE prof.level > ev_level.old_level
    UNION ALL
    SELECT 2, 'layer_up', jsonb_build_object(
        'mode', %(mode)s::text, 'from', {old_code}, 'to', {new_code}, 'mode_xp', prof.mode_xp,
        'entry_id', ins.id, 'reason', 'xp')
    FROM prof, ins WHERE {new_layer} > {old_layer}
    UNION ALL
    SELECT 3, 'xp_awarded', jsonb_build_object(
        'entry_id', ins.id, 'activity', %(activity_key)s::text, 'units', %(units_text)s::text,
        'xp', %(xp)s::bigint, 'total_xp', prof.total_xp, 'mode', %(mode)s::text,
        'mode_xp', prof.mode_xp, 'season', %(sid)s::text, 'source', %(source)s::text)
    FROM prof, ins
    WHERE %(ev_xp_awarded)s OR EXISTS (
        SELECT 1 FROM {ENDPOINT_TABLE} w
        WHERE w.is_active AND w.disabled_at IS NULL AND w.event_types @> '["xp_awarded"]'::jsonb)"""
    return f"""
, ev_level AS (
    SELECT COALESCE(
        (SELECT level FROM {LEVEL_TABLE} WHERE min_xp <= prof.total_xp - %(xp)s ORDER BY min_xp DESC LIMIT 1), 1
    ) AS old_level FROM prof
), ev_src AS ({sources}
), ev_seq AS (
    INSERT INTO {SEQUENCE_TABLE} AS q (user_id, last)
    SELECT %(uid)s, count(*) FROM ev_src HAVING count(*) > 0
    ON CONFLICT (user_id) DO UPDATE SET last = q.last + EXCLUDED.last
    RETURNING q.last
), ev AS (
    INSERT INTO {EVENT_TABLE} (type, user_id, sequence, data, created_at, request_id)
    SELECT s.type, %(uid)s, ev_seq.last - (SELECT count(*) FROM ev_src) + s.k_rank, s.data, %(now)s,
           %(ev_request_id)s
    FROM (SELECT type, data, row_number() OVER (ORDER BY k) AS k_rank FROM ev_src) AS s, ev_seq
    RETURNING id
)"""


def award_event_params(*, activity_key: str, units: Any) -> dict[str, Any]:
    """The extra parameters ``award_events_sql`` reads."""
    return {
        "ev_xp_awarded": consumers_want(XP_AWARDED),
        "activity_key": activity_key,
        "units_text": str(units),
        "ev_request_id": current_request_id() or "",
    }


def league_events_sql(moves: str) -> str:
    """CTEs appended to a season-close statement: ``league_changed`` for every row of the CTE
    ``moves`` (user_id, league, new_league, movement; one row per player, movers only), with the
    players' sequence numbers, as ``award_events_sql`` writes an award's events
    (set-based: a chunk of thousands of moves costs one statement, not an ORM round per row).
    Parameters: ``mode``, ``sid``, ``now``."""
    return f"""
, ev_src AS (
    SELECT user_id, jsonb_build_object(
        'mode', %(mode)s::text, 'season', %(sid)s::text, 'from', league, 'to', new_league,
        'movement', movement) AS data
    FROM {moves}
), ev_seq AS (
    INSERT INTO {SEQUENCE_TABLE} AS q (user_id, last)
    SELECT user_id, 1 FROM ev_src ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET last = q.last + 1
    RETURNING q.user_id, q.last
), ev AS (
    INSERT INTO {EVENT_TABLE} (type, user_id, sequence, data, created_at)
    SELECT 'league_changed', e.user_id, s.last, e.data, %(now)s FROM ev_src e JOIN ev_seq s ON s.user_id = e.user_id
)"""
