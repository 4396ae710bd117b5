"""Quest jobs (procrastinate; the worker is the scheduler)."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from core.services.quests.settle import settle_ended

logger = logging.getLogger(__name__)


@app.periodic(cron="*/5 * * * *", periodic_id="settle_quests")
@app.task(queue="maintenance", queueing_lock="settle_quests", pass_context=False)
def settle_quests(timestamp: int) -> int:
    """Every five minutes: quests whose deadline passed complete (reached) or fail (missed).
    Returns participations settled."""
    report = settle_ended()
    if report.completed or report.failed:
        logger.info("settled quests: %s completed late, %s failed", report.completed, report.failed)
    return report.completed + report.failed
