"""Periodic jobs that keep derived state in step (run by `manage.py procrastinate worker`)."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from core.services import index_upkeep, season_service

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


@app.periodic(cron="* * * * *", periodic_id="reindex_changed_scores")
@app.task(queue="maintenance", queueing_lock="reindex_changed_scores", pass_context=False)
def reindex_changed_scores(timestamp: int) -> int:
    """Every minute: re-index the season scores changed since the last run (heals a process
    killed between its commit and its index write). Returns scores written."""
    return index_upkeep.reindex_changed_scores()


@app.periodic(cron="*/10 * * * *", periodic_id="repair_missing_boards")
@app.task(queue="maintenance", queueing_lock="repair_missing_boards", pass_context=False)
def repair_missing_boards(timestamp: int) -> int:
    """Every 10 minutes: rebuild boards Redis lost or that missed a write. Returns boards rebuilt."""
    return len(index_upkeep.repair_missing_boards())


@app.periodic(cron="17 4 * * *", periodic_id="check_leaderboards")
@app.task(queue="maintenance", queueing_lock="check_leaderboards", pass_context=False)
def check_leaderboards(timestamp: int) -> int:
    """Daily: compare every board with the database and rebuild those that differ. Returns how many differed."""
    return len(index_upkeep.check_and_repair_boards())
