"""Cohorts: the groups of about COHORT_SIZE players of one league who compete together in a season
and mode (docs/domain.md "Leagues").

A player joins a cohort right after their first XP of a season and mode (the award statement
returns the season score's ``version``; 1 means that score was just made). The open cohort of
the league fills up to its capacity in order of arrival, then a new one opens. Assignment takes
a transaction-scoped advisory lock per season, mode and league, so cohorts of one league are
filled one assignment at a time (never overfilled, nobody skipped) while other leagues and every
later award of the player run untouched: an award that is not the first costs no statement.

The same set-based statement assigns one player or every score still waiting for a cohort (a
first award whose assignment was cut off by a crash, a score moved to another league when the
previous season closed, or data loaded before cohorts existed), so the close and the board can
repair what is missing.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from core.constants.leagues import LEAGUES
from core.constants.modes import MODES
from core.services.seasons.lifecycle import ScoreState
from core.utils.dates import utc_now
from seasons.models import SeasonCohort, SeasonScore

_COHORT = SeasonCohort._meta.db_table
_SCORE = SeasonScore._meta.db_table

# Place the scores of one season, mode and league that have no cohort (all of them, or one
# player's), in score id order (the order of arrival: a score row is made by its first XP).
# The open cohort (the highest number) takes what it has room for, the rest fill new cohorts of
# %(size)s. Runs under the league's advisory lock (``_lock``), so the snapshot it reads is the
# latest: nobody else places players in that league until this transaction ends.
ASSIGN_SQL = f"""
WITH cur AS (
    SELECT id, number, GREATEST(capacity - members, 0) AS free FROM {_COHORT}
    WHERE season_id = %(sid)s AND mode = %(mode)s AND league = %(league)s
    ORDER BY number DESC LIMIT 1
), base AS (
    SELECT COALESCE((SELECT number FROM cur), 0) AS number, COALESCE((SELECT free FROM cur), 0) AS free
), missing AS (
    SELECT s.id, row_number() OVER (ORDER BY s.id) - 1 AS pos FROM {_SCORE} s
    WHERE s.season_id = %(sid)s AND s.mode = %(mode)s AND s.league = %(league)s AND s.cohort_id IS NULL
      AND (%(uid)s::bigint IS NULL OR s.user_id = %(uid)s::bigint)
), placed AS (
    SELECT m.id, CASE WHEN m.pos < base.free THEN 0 ELSE 1 + (m.pos - base.free) / %(size)s END AS slot
    FROM missing m, base
), fresh AS (
    INSERT INTO {_COHORT} (season_id, mode, league, number, capacity, members, created_at)
    SELECT %(sid)s, %(mode)s, %(league)s, base.number + p.slot, %(size)s, count(*), %(now)s
    FROM placed p, base WHERE p.slot > 0 GROUP BY base.number, p.slot
    RETURNING id, number
), topped AS (
    UPDATE {_COHORT} c SET members = c.members + t.k
    FROM (SELECT count(*) AS k FROM placed WHERE slot = 0) t, cur
    WHERE c.id = cur.id AND t.k > 0
)
UPDATE {_SCORE} s SET cohort_id = COALESCE(f.id, cur.id)
FROM placed p CROSS JOIN base LEFT JOIN fresh f ON f.number = base.number + p.slot LEFT JOIN cur ON p.slot = 0
WHERE s.id = p.id
RETURNING s.user_id, s.cohort_id
"""


def _lock(season_id: str, mode: str, league: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 27))", [f"cohort:{season_id}:{mode}:{league}"]
        )


def assign(*, season_id: str, mode: str, league: str, user_id: int | None = None, now: datetime | None = None) -> int:
    """Give every score of ``season_id``, ``mode`` and ``league`` without a cohort (only
    ``user_id``'s when given) a cohort, in order of arrival; returns how many were placed.
    Idempotent: a score with a cohort keeps it."""
    with transaction.atomic():
        _lock(season_id, mode, league)
        with connection.cursor() as cursor:
            cursor.execute(
                ASSIGN_SQL,
                {
                    "sid": season_id,
                    "mode": mode,
                    "league": league,
                    "uid": user_id,
                    "size": max(settings.COHORT_SIZE, 1),
                    "now": now or utc_now(),
                },
            )
            return cursor.rowcount


def after_award(score: ScoreState | None) -> None:
    """Called right after every award's write: the player's first XP of a season and mode
    (``score.version == 1``) places them in a cohort of the league they play in. Any other award
    returns at once, without a statement."""
    if score is None or score.version != 1:
        return
    assign(season_id=score.season_id, mode=score.mode, league=score.league, user_id=score.user_id)


def assign_missing(season_id: str, mode: str | None = None) -> int:
    """Place every score of the season (one mode, or both) that still waits for a cohort."""
    placed = 0
    for m in (mode,) if mode else MODES:
        leagues = (
            SeasonScore.objects.filter(season_id=season_id, mode=m, cohort__isnull=True)
            .values_list("league", flat=True)
            .distinct()
        )
        for league in sorted(set(leagues), key=LEAGUES.index):
            placed += assign(season_id=season_id, mode=m, league=league)
    return placed
