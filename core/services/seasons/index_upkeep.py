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
- Boards Redis lost, or that recorded a failed write, are rebuilt by ``repair_rank_index``
  (every minute) and every board is compared with the database daily (``check_rank_index``):
  both in core/tasks.py, on rank_index's functions.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction

from core.services.seasons import rank_index
from core.services.seasons.lifecycle import ScoreState
from core.utils.dates import utc_now
from events.models import IndexWatermark
from seasons.models import SeasonScore
from ultrabackend import redis as r
from xp.models import XPEntry

logger = logging.getLogger(__name__)

WATERMARK = "season_scores"
SETTLE = timedelta(seconds=30)  # far longer than any award statement takes to commit
BATCH = 20_000

_ENTRIES = XPEntry._meta.db_table
_SCORES = SeasonScore._meta.db_table
_NEW_ENTRIES = (
    "SELECT max(id), max(id) FILTER (WHERE created_at <= %s), count(*) FROM "
    f"(SELECT id, created_at FROM {_ENTRIES} WHERE id > %s ORDER BY id LIMIT %s) AS e"
)
_THEIR_SCORES = f"""
    SELECT s.user_id, s.season_id, s.mode, s.xp, s.league, s.reached_at, s.version
    FROM {_SCORES} s
    JOIN (SELECT DISTINCT user_id, season_id, mode FROM {_ENTRIES} WHERE id > %s AND id <= %s) e
      ON e.user_id = s.user_id AND e.season_id = s.season_id AND e.mode = s.mode
"""


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
                cursor.execute(_NEW_ENTRIES, [utc_now() - SETTLE, mark.last_entry_id, batch])
                upper, settled, seen = cursor.fetchone()
                if not seen:
                    return written
                cursor.execute(_THEIR_SCORES, [mark.last_entry_id, upper])
                states = [ScoreState(*row) for row in cursor.fetchall()]
            rank_index.index_scores(states)  # raises on a Redis error: the job is retried
            written += len(states)
            if settled is not None and settled > mark.last_entry_id:
                IndexWatermark.objects.filter(pk=mark.pk).update(last_entry_id=settled, updated_at=utc_now())
            if seen < batch or settled != upper:
                return written
