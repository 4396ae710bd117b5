"""Strava work done by the task queue (`manage.py procrastinate worker`), never in a request.

The webhook view only defers these jobs. Ordering: every job of one activity carries the lock
``strava:activity:<id>`` (procrastinate runs jobs with one lock one at a time, oldest first), and
athlete events ``strava:athlete:<id>``. De-duplication: a sync job still waiting makes a second
one for the same activity unnecessary (``queueing_lock``): the waiting job fetches the latest
version anyway.

Retries (procrastinate's retry, never a loop here): Strava's rate limit used up or 429 → the job
is retried at the window's reset (the next 15-minute boundary, or midnight UTC for the daily
limit), however often that takes, so no event is lost while waiting; a timeout, an unreachable
Strava or a 5xx → exponential backoff (30 s, 60 s, ... up to an hour), at most 12 attempts.
"""

from __future__ import annotations

import logging

from django.db import transaction
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from core.exceptions import StravaAuthorizationRevoked, StravaBadGateway, StravaRateLimited, StravaUnavailable
from core.services.strava import strava_service

logger = logging.getLogger(__name__)

QUEUE = "strava"
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
MAX_ATTEMPTS = 12


class StravaRetry(BaseRetryStrategy):
    """Rate limits: wait for the window's reset (unbounded); outages: exponential backoff."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, StravaRateLimited) and exception.retry_at is not None:
            return RetryDecision(retry_at=exception.retry_at)
        if isinstance(exception, StravaUnavailable | StravaBadGateway) and job.attempts < MAX_ATTEMPTS:
            wait = min(BACKOFF_BASE_SECONDS * 2**job.attempts, BACKOFF_MAX_SECONDS)
            return RetryDecision(retry_in={"seconds": wait})
        return None


RETRY = StravaRetry()


@app.task(queue=QUEUE, retry=RETRY, pass_context=False)
def sync_strava_activity(athlete_id: int, activity_id: int) -> str:
    """A create or update event: fetch the activity and import or revise it."""
    try:
        record = strava_service.sync_activity(athlete_id=athlete_id, strava_id=activity_id)
    except StravaAuthorizationRevoked:
        strava_service.forget_athlete(athlete_id=athlete_id)
        return "revoked"
    return record.state if record is not None else "skipped"


@app.task(queue=QUEUE, retry=RETRY, pass_context=False)
def delete_strava_activity(athlete_id: int, activity_id: int) -> str:
    record = strava_service.delete_activity(athlete_id=athlete_id, strava_id=activity_id)
    return record.state if record is not None else "unknown"


@app.task(queue=QUEUE, retry=RETRY, pass_context=False)
def strava_athlete_deauthorized(athlete_id: int) -> bool:
    return strava_service.athlete_deauthorized(athlete_id=athlete_id)


@app.task(queue=QUEUE, retry=RETRY, pass_context=False)
def backfill_strava(connection_id: int) -> int:
    """The one-time import of the last 7 days."""
    try:
        return strava_service.run_backfill(connection_id=connection_id)
    except StravaAuthorizationRevoked:
        return 0


def defer_event(*, object_type: str, aspect_type: str, object_id: int, owner_id: int, deauthorized: bool) -> str:
    """Queue the work for one webhook event (one insert, no network). Returns what was queued."""
    try:
        # A savepoint: a refused duplicate (queueing lock) must leave a caller's transaction usable.
        with transaction.atomic():
            return _defer(object_type, aspect_type, object_id, owner_id, deauthorized)
    except AlreadyEnqueued:
        return "already_queued"


def _defer(object_type: str, aspect_type: str, object_id: int, owner_id: int, deauthorized: bool) -> str:
    if object_type == "athlete":
        if not deauthorized:
            return "nothing"
        strava_athlete_deauthorized.configure(
            lock=f"strava:athlete:{owner_id}", queueing_lock=f"strava:deauthorize:{owner_id}"
        ).defer(athlete_id=owner_id)
        return "deauthorize"
    lock = f"strava:activity:{object_id}"
    if aspect_type == "delete":
        delete_strava_activity.configure(lock=lock, queueing_lock=f"strava:delete:{object_id}").defer(
            athlete_id=owner_id, activity_id=object_id
        )
        return "delete"
    sync_strava_activity.configure(lock=lock, queueing_lock=f"strava:sync:{object_id}").defer(
        athlete_id=owner_id, activity_id=object_id
    )
    return "sync"
