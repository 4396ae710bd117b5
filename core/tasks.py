"""Periodic jobs that keep derived state in step (run by `manage.py procrastinate worker`; the
worker is the scheduler, so no cron is needed)."""

from __future__ import annotations

import logging

import procrastinate
from django.conf import settings
from django.core.cache import caches
from procrastinate.contrib.django import app

from core.services.quests.settle import settle_ended
from core.services.seasons import closing, index_upkeep, rank_index
from ultrabackend.redis import REDIS_ERRORS

logger = logging.getLogger(__name__)


@app.periodic(cron="7 * * * *", periodic_id="close_seasons")
@app.task(queue="maintenance", queueing_lock="close_seasons", pass_context=False)
def close_seasons(timestamp: int) -> int:
    """Close every ended season (hourly; idempotent and resumable). Returns seasons closed."""
    closed = 0
    for season in closing.seasons_to_close():
        report = closing.close_season(season)
        logger.info("closed season %s: %s promoted, %s demoted", report.season_id, report.moved_up, report.moved_down)
        closed += 1
    settle_ended()  # challenges that end with the season settle in the same job
    return closed


@app.periodic(cron="* * * * *", periodic_id="repair_rank_index")
@app.task(queue="maintenance", queueing_lock="repair_rank_index", pass_context=False)
def repair_rank_index(timestamp: int) -> int:
    """Every minute: rebuild the boards that missed an index write or lost their ready mark
    (Redis restarted empty). Until then those boards are served from PostgreSQL."""
    return sum(rank_index.repair_board(season_id, mode) for season_id, mode in rank_index.boards_not_ready())


@app.periodic(cron="17 4 * * *", periodic_id="check_rank_index")
@app.task(queue="maintenance", queueing_lock="check_rank_index", pass_context=False)
def check_rank_index(timestamp: int) -> int:
    """Daily: compare every board with PostgreSQL and rebuild each one that differs."""
    repairs = rank_index.repair_boards()
    for repair in repairs:
        logger.warning(
            "rank index %s %s differed (%s); rebuilt: %s",
            repair.season_id,
            repair.mode,
            "; ".join(repair.problems[:5]),
            repair.repaired,
        )
    return len(repairs)


@app.task(
    queue="maintenance",
    # Redis may stay away for a while: 10 s, 15 s, 20 s, ... between tries (about ten hours in all,
    # longer than any outage we plan for); only Redis errors are retried.
    retry=procrastinate.RetryStrategy(max_attempts=120, wait=10, linear_wait=5, retry_exceptions=REDIS_ERRORS),
    pass_context=False,
)
def forget_cached_session(cache_key: str) -> None:
    """Delete a session's copy in the cache after a write or logout could not reach Redis
    (``ultrabackend/sessions.py``); raising retries while Redis is still unreachable."""
    caches[settings.SESSION_CACHE_ALIAS].delete(cache_key)


@app.periodic(cron="* * * * *", periodic_id="reindex_changed_scores")
@app.task(queue="maintenance", queueing_lock="reindex_changed_scores", pass_context=False)
def reindex_changed_scores(timestamp: int) -> int:
    """Every minute: re-index the season scores changed since the last run (heals a process
    killed between its commit and its index write). Returns scores written."""
    return index_upkeep.reindex_changed_scores()
