"""Periodic jobs that keep derived state in step (run by `manage.py procrastinate worker`)."""

from __future__ import annotations

import logging

import procrastinate
from django.conf import settings
from django.core.cache import caches
from procrastinate.contrib.django import app

from core.services import season_service
from core.utils.redis import REDIS_ERRORS

logger = logging.getLogger(__name__)


@app.periodic(cron="7 * * * *", periodic_id="close_seasons")
@app.task(queue="maintenance", queueing_lock="close_seasons", pass_context=False)
def close_seasons(timestamp: int) -> int:
    """Close every ended season (hourly; idempotent and resumable). Returns seasons closed."""
    closed = 0
    for season in season_service.seasons_to_close():
        report = season_service.close_season(season)
        logger.info("closed season %s: %s promoted, %s demoted", report.season_id, report.moved_up, report.moved_down)
        closed += 1
    return closed


@app.task(
    queue="maintenance",
    # Redis may stay away for a while: 10 s, 15 s, 20 s, ... between tries (about ten hours in all,
    # longer than any outage we plan for); only Redis errors are retried.
    retry=procrastinate.RetryStrategy(max_attempts=120, wait=10, linear_wait=5, retry_exceptions=REDIS_ERRORS),
    pass_context=False,
)
def forget_cached_session(cache_key: str) -> None:
    """Delete a session's copy in the cache after a write or logout could not reach Redis
    (``core/sessions.py``); raising retries while Redis is still unreachable."""
    caches[settings.SESSION_CACHE_ALIAS].delete(cache_key)
