"""Closing a season: final ranks, promotion and demotion per cohort (idempotent, resumable).

The close runs in set-based SQL over chunks that each commit on their own, so a season of a
million players closes in minutes and a killed run resumes where it stopped:

- ``cohorts`` (per mode): every score still waiting for a cohort gets one first; then the open
  cohorts are closed a chunk at a time (about SEASON_CLOSE_CHUNK players): each cohort's players
  with XP are ranked, the top ones move up and the bottom ones down (``cohort_moves``), their
  SeasonResult rows, profile leagues and ``league_changed`` events (one statement), and their
  later-season scores are written with the cohort's ``closed_at`` in one transaction.
- ``inactive`` (per mode): players without XP in the season move down one league (Bronze stays),
  a chunk of players at a time in user id order; the chunk query is an anti-join (NOT EXISTS)
  against the season's scores and results, never a NOT IN list.

A step whose work is all done gets its SeasonCloseStep row; a run finds what is left from the
data itself (cohorts without ``closed_at``, players without a result), so a chunk is never run
twice even by two runs at once (each chunk first takes the season row's lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction

from core.constants.leagues import LEAGUES, cohort_moves
from core.constants.modes import MODES
from core.services.achievements.trophies import award_season_recognition
from core.services.events import domain_events
from core.services.seasons import cohorts
from core.services.seasons.lifecycle import ScoreState
from core.services.seasons.rank_index import reindex_on_commit
from core.utils.dates import utc_now
from seasons.models import Season, SeasonCloseStep, SeasonCohort, SeasonResult, SeasonScore
from users.models import CustomUser
from xp.models import UserProfile

CLOSE_GRACE = timedelta(minutes=5)  # let requests that started before midnight finish first
COHORTS_STEP, INACTIVE_STEP = "cohorts", "inactive"
CLOSE_STEPS: tuple[str, ...] = (COHORTS_STEP, INACTIVE_STEP)


@dataclass(frozen=True)
class CloseReport:
    season_id: str
    steps_run: int
    steps_skipped: int
    moved_up: int
    moved_down: int


class Moved(NamedTuple):
    """A SeasonResult that moved its player."""

    user_id: int
    season_id: str
    mode: str
    league: str
    new_league: str
    movement: str


def seasons_to_close(now: datetime | None = None) -> list[Season]:
    """Ended seasons (past the grace period) that are not closed yet, oldest first."""
    now = now or utc_now()
    return list(Season.objects.filter(status=Season.OPEN, ends_at__lte=now - CLOSE_GRACE).order_by("id"))


def close_season(season: Season, *, on_step: Callable[[str, str], object] | None = None) -> CloseReport:
    """Close ``season``: store every player's final rank and league and move leagues.

    Safe to run any number of times, at once, and to resume after a crash (see the module)."""
    run = skipped = up_total = down_total = 0
    for mode in MODES:
        for step in CLOSE_STEPS:
            if SeasonCloseStep.objects.filter(season=season, mode=mode, step=step).exists():
                skipped += 1
                continue
            up, down = _close_cohorts(season, mode) if step == COHORTS_STEP else (0, _close_inactive(season, mode))
            with transaction.atomic():
                _lock_season(season)
                _, created = SeasonCloseStep.objects.get_or_create(
                    season=season, mode=mode, step=step, defaults={"players": up + down, "done_at": utc_now()}
                )
            if created:
                run += 1
            else:
                skipped += 1  # another run finished it at the same time
            up_total += up
            down_total += down
            if on_step:
                on_step(mode, step)
    with transaction.atomic():
        closed_at = utc_now()
        if Season.objects.filter(pk=season.pk, status=Season.OPEN).update(status=Season.CLOSED, closed_at=closed_at):
            domain_events.record([domain_events.season_closed_event(season.id, closed_at)], now=closed_at)
    award_season_recognition(season)  # trophies and season-finish achievements (issue 26)
    return CloseReport(season.id, run, skipped, up_total, down_total)


def _lock_season(season: Season) -> None:
    # Two runs at once (two schedulers) take turns on the season row, chunk by chunk, and each
    # chunk reads what is left after taking it. NO KEY UPDATE: awards' foreign-key checks on the
    # row (FOR KEY SHARE) are not blocked, so this lock cannot deadlock with them.
    Season.objects.select_for_update(no_key=True).filter(pk=season.pk).first()


def _t(model: Any) -> str:
    return str(model._meta.db_table)


_LADDER = "ARRAY[" + ", ".join(f"'{league}'" for league in LEAGUES) + "]::varchar[]"


def _shifted(expr: str, delta: int) -> str:
    """SQL: the league ``delta`` steps from ``expr`` (callers never step past an end)."""
    return f"({_LADDER})[array_position({_LADDER}, {expr}::varchar) + {delta}]"


# One chunk of cohorts: rank each cohort's players with XP (ties by who reached the XP first),
# store their results, move their profile leagues, mark the cohorts closed. A player who already
# has a result (a season half-closed league by league before cohorts) is left as it is (the
# unique key; an anti-join here would read every result of the season again in each chunk).
_COHORT_CHUNK_SQL = {
    mode: f"""
WITH counts AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(ups)s::int[], %(downs)s::int[], %(ns)s::int[])
        AS t(cohort_id, up, down, n)
), ranked AS (
    SELECT s.user_id, s.xp, s.league, s.cohort_id, c.up, c.down, c.n,
           row_number() OVER (PARTITION BY s.cohort_id ORDER BY s.xp DESC, s.reached_at, s.user_id) AS pos,
           rank() OVER (PARTITION BY s.cohort_id ORDER BY s.xp DESC) AS rnk
    FROM {_t(SeasonScore)} s JOIN counts c ON c.cohort_id = s.cohort_id
    WHERE s.cohort_id = ANY(%(ids)s::bigint[]) AND s.xp > 0
), moved AS (
    SELECT r.*, CASE WHEN r.pos <= r.up THEN 'up' WHEN r.pos > r.n - r.down THEN 'down' ELSE 'stay' END AS movement
    FROM ranked r
), res AS (
    INSERT INTO {_t(SeasonResult)} (user_id, season_id, mode, xp, rank, league, new_league, movement, cohort_id)
    SELECT user_id, %(sid)s, %(mode)s, xp, rnk, league,
           CASE movement WHEN 'up' THEN {_shifted("league", 1)} WHEN 'down' THEN {_shifted("league", -1)}
                ELSE league END,
           movement, cohort_id
    FROM moved
    ON CONFLICT (season_id, mode, user_id) DO NOTHING
    RETURNING user_id, league, new_league, movement
), prof AS (
    UPDATE {_t(UserProfile)} p SET {mode}_league = r.new_league FROM res r
    WHERE p.user_id = r.user_id AND r.movement <> 'stay'
), done AS (
    UPDATE {_t(SeasonCohort)} SET closed_at = %(now)s WHERE id = ANY(%(ids)s::bigint[])
){domain_events.league_events_sql("res WHERE movement <> 'stay'")}
SELECT user_id, league, new_league, movement FROM res WHERE movement <> 'stay'
"""
    for mode in MODES
}

# The next open cohorts, with their players with XP counted (index-only on season_cohort_board).
_OPEN_COHORTS_SQL = f"""
SELECT c.id, c.league, c.capacity,
       (SELECT count(*) FROM {_t(SeasonScore)} s WHERE s.cohort_id = c.id AND s.xp > 0)
FROM {_t(SeasonCohort)} c
WHERE c.season_id = %(sid)s AND c.mode = %(mode)s AND c.closed_at IS NULL
ORDER BY c.id LIMIT %(limit)s
"""


def _close_cohorts(season: Season, mode: str) -> tuple[int, int]:
    """Close every open cohort of ``season`` and ``mode``, a chunk of cohorts per transaction."""
    cohorts.assign_missing(season.id, mode)  # scores a crash or a league move left without one
    per_chunk = max(1, settings.SEASON_CLOSE_CHUNK // max(settings.COHORT_SIZE, 1))
    up_total = down_total = 0
    while True:
        with transaction.atomic():
            _lock_season(season)
            with connection.cursor() as cursor:
                cursor.execute(_OPEN_COHORTS_SQL, {"sid": season.id, "mode": mode, "limit": per_chunk})
                chunk = cursor.fetchall()
            if not chunk:
                return up_total, down_total
            moved = _close_cohort_chunk(season, mode, chunk)
        up_total += sum(m.movement == "up" for m in moved)
        down_total += sum(m.movement == "down" for m in moved)


def _close_cohort_chunk(season: Season, mode: str, chunk: list[tuple[int, str, int, int]]) -> list[Moved]:
    ids, ups, downs, ns = [], [], [], []
    for cohort_id, league, capacity, players in chunk:
        up, down = cohort_moves(players, capacity, settings.COHORT_PROMOTE, settings.COHORT_DEMOTE, league)
        ids.append(cohort_id)
        ups.append(up)
        downs.append(down)
        ns.append(players)
    with connection.cursor() as cursor:
        cursor.execute(
            _COHORT_CHUNK_SQL[mode],
            {"ids": ids, "ups": ups, "downs": downs, "ns": ns, "sid": season.id, "mode": mode, "now": utc_now()},
        )
        moved = [Moved(uid, season.id, mode, league, new, movement) for uid, league, new, movement in cursor]
    _after_moves(season, mode, moved)
    return moved


_INACTIVE_CHUNK_SQL = {
    mode: f"""
WITH batch AS (
    SELECT p.user_id, p.{mode}_league AS league FROM {_t(UserProfile)} p
    JOIN {_t(CustomUser)} u ON u.id = p.user_id
    WHERE p.user_id > %(after)s AND p.{mode}_league <> '{LEAGUES[0]}' AND u.date_joined < %(ends)s
      AND NOT EXISTS (SELECT 1 FROM {_t(SeasonScore)} s
                      WHERE s.season_id = %(sid)s AND s.mode = %(mode)s AND s.user_id = p.user_id AND s.xp > 0)
      AND NOT EXISTS (SELECT 1 FROM {_t(SeasonResult)} r
                      WHERE r.season_id = %(sid)s AND r.mode = %(mode)s AND r.user_id = p.user_id)
    ORDER BY p.user_id LIMIT %(limit)s
), res AS (
    INSERT INTO {_t(SeasonResult)} (user_id, season_id, mode, xp, rank, league, new_league, movement, cohort_id)
    SELECT b.user_id, %(sid)s, %(mode)s, 0, NULL, b.league, {_shifted("b.league", -1)}, 'down',
           (SELECT s.cohort_id FROM {_t(SeasonScore)} s
            WHERE s.season_id = %(sid)s AND s.mode = %(mode)s AND s.user_id = b.user_id)
    FROM batch b
    RETURNING user_id, league, new_league, movement
), prof AS (
    UPDATE {_t(UserProfile)} p SET {mode}_league = r.new_league FROM res r WHERE p.user_id = r.user_id
){domain_events.league_events_sql("res")}
SELECT user_id, league, new_league, movement FROM res ORDER BY user_id
"""
    for mode in MODES
}


def _close_inactive(season: Season, mode: str) -> int:
    """Players without XP in the season (who had joined by its end) move down one league (Bronze
    stays Bronze), a chunk of players per transaction, in user id order."""
    after, total = 0, 0
    limit = max(1, settings.SEASON_CLOSE_CHUNK)
    while True:
        with transaction.atomic():
            _lock_season(season)
            with connection.cursor() as cursor:
                cursor.execute(
                    _INACTIVE_CHUNK_SQL[mode],
                    {
                        "sid": season.id,
                        "mode": mode,
                        "after": after,
                        "limit": limit,
                        "ends": season.ends_at,
                        "now": utc_now(),
                    },
                )
                moved = [Moved(uid, season.id, mode, league, new, movement) for uid, league, new, movement in cursor]
            _after_moves(season, mode, moved)
        total += len(moved)
        if len(moved) < limit:
            return total
        after = moved[-1].user_id


def _after_moves(season: Season, mode: str, moved: list[Moved]) -> None:
    """In the chunk's transaction (whose statement wrote the ``league_changed`` events): the
    moved players' scores of later seasons (which started in the old league) follow them into
    the new league and a cohort of it; the rank index follows after commit."""
    if not moved:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_t(SeasonScore)} s SET league = m.new_league, version = s.version + 1, cohort_id = NULL
            FROM unnest(%(uids)s::bigint[], %(leagues)s::text[]) AS m(user_id, new_league)
            WHERE s.user_id = m.user_id AND s.mode = %(mode)s AND s.season_id > %(sid)s
            RETURNING s.user_id, s.season_id, s.mode, s.xp, s.league, s.reached_at, s.version
            """,
            {
                "uids": [m.user_id for m in moved],
                "leagues": [m.new_league for m in moved],
                "mode": mode,
                "sid": season.id,
            },
        )
        changed = [ScoreState(*row) for row in cursor.fetchall()]
    for season_id, league in sorted({(s.season_id, s.league) for s in changed}):
        cohorts.assign(season_id=season_id, mode=mode, league=league)
    reindex_on_commit(changed)
