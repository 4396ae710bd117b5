"""Keeping the Redis rank index in step from the task queue (periodic jobs in core/tasks.py).

The after-commit write in the request stays the fast path (ranks are instant). These close the
gaps it leaves:

- ``reindex_changed_scores`` (every minute) re-writes the score of every (player, season, mode)
  that got a ledger entry since its last run, read from the database. A process killed between
  its commit and its index write is healed within a minute. Progress is a watermark on the
  ledger's id (``IndexWatermark``): it only moves past entries older than ``SETTLE``, so an
  entry whose statement committed after a later-numbered one is still read. Writes are
  version-guarded (an older state never overwrites a newer one), so reading an entry twice is
  harmless.
- ``repair_missing_boards`` (every 10 minutes) rebuilds boards that are not ready (Redis lost
  them) or that recorded a failed write; ``check_and_repair_boards`` (daily) compares every board
  with the database and rebuilds those that differ.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction

from core.services import season_service
from core.utils import redis as r
from core.utils.dates import utc_now
from events.models import IndexWatermark
from seasons.models import RankIndexRepair

logger = logging.getLogger(__name__)

WATERMARK = "season_scores"
SETTLE = timedelta(seconds=30)  # far longer than any award statement takes to commit
BATCH = 20_000


def reindex_changed_scores(*, batch: int = BATCH) -> int:
    """Index the current score of everyone with ledger entries past the watermark; returns
    how many scores were written. Runs one at a time (the watermark row is locked)."""
    if r.get_redis() is None:
        return 0
    written = 0
    while True:
        with transaction.atomic():
            mark, _ = IndexWatermark.objects.select_for_update().get_or_create(name=WATERMARK)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT max(id), max(id) FILTER (WHERE created_at <= %s), count(*) FROM "
                    "(SELECT id, created_at FROM xp_xpentry WHERE id > %s ORDER BY id LIMIT %s) AS e",
                    [utc_now() - SETTLE, mark.last_entry_id, batch],
                )
                upper, settled, seen = cursor.fetchone()
                if not seen:
                    return written
                cursor.execute(
                    """
                    SELECT s.user_id, s.season_id, s.mode, s.xp, s.league, s.reached_at, s.version
                    FROM seasons_seasonscore s
                    JOIN (SELECT DISTINCT user_id, season_id, mode FROM xp_xpentry WHERE id > %s AND id <= %s) e
                      ON e.user_id = s.user_id AND e.season_id = s.season_id AND e.mode = s.mode
                    """,
                    [mark.last_entry_id, upper],
                )
                states = [season_service.ScoreState(*row) for row in cursor.fetchall()]
            season_service.index_scores(states)  # raises on a Redis error: the job is retried
            written += len(states)
            if settled is not None and settled > mark.last_entry_id:
                IndexWatermark.objects.filter(pk=mark.pk).update(last_entry_id=settled, updated_at=utc_now())
            if seen < batch or settled != upper:
                return written


@dataclass(frozen=True)
class BoardRepair:
    season_id: str
    mode: str
    problems: int
    repaired: bool


def repair_missing_boards() -> list[BoardRepair]:
    """Rebuild boards that are not marked ready or recorded a missed write."""
    client = r.get_redis()
    if client is None:
        return []
    repairs = set(RankIndexRepair.objects.values_list("season_id", "mode"))
    done = []
    for season_id, mode in season_service.boards_in_database():
        if (season_id, mode) in repairs or not client.exists(season_service.ready_key(season_id, mode)):
            done.append(BoardRepair(season_id, mode, 0, season_service.repair_board(season_id, mode)))
    return done


def check_and_repair_boards() -> list[BoardRepair]:
    """Compare every board with the database (``check_board``) and rebuild those that differ."""
    if r.get_redis() is None:
        return []
    done = []
    for season_id, mode in season_service.boards_in_database():
        problems = season_service.check_board(season_id, mode)
        if problems:
            logger.warning("rank index %s %s differs from the database: %s", season_id, mode, problems[:5])
            done.append(BoardRepair(season_id, mode, len(problems), season_service.repair_board(season_id, mode)))
    return done
