"""Periodic jobs that keep derived state in step (run by `manage.py procrastinate worker`)."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from core.services import season_service

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
