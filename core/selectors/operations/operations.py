"""Reads for the operator: is the service ready, is the queue moving (never writes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.utils import Error as DatabaseError
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob, ProcrastinateWorker

from ultrabackend.redis import redis_status


@dataclass(frozen=True)
class QueueState:
    status: str  # ok | stalled | unknown
    ready_jobs: int
    oldest_ready_age_seconds: float
    workers: int


@dataclass(frozen=True)
class Readiness:
    database: str  # ok | error
    redis: str  # ok | not_configured | degraded
    queue: QueueState

    @property
    def ready(self) -> bool:
        # Redis only speeds answers up (docs/reliability.md): its outage degrades, never unreadies,
        # and every web process shares the same Redis, so taking one out of rotation helps nobody.
        return self.database == "ok" and self.queue.status == "ok"


# procrastinate's tables, named by procrastinate's own (read-only) Django models.
_JOBS = ProcrastinateJob._meta.db_table
_JOB_EVENTS = ProcrastinateEvent._meta.db_table
_WORKERS = ProcrastinateWorker._meta.db_table

QUEUE_STATE_SQL = f"""
SELECT
    (SELECT count(*) FROM {_JOBS}
     WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())),
    COALESCE((
        SELECT GREATEST(EXTRACT(EPOCH FROM now() - GREATEST(
                   COALESCE((SELECT min(e.at) FROM {_JOB_EVENTS} e
                             WHERE e.job_id = o.id AND e.type = 'deferred'), now()),
                   COALESCE(o.scheduled_at, '-infinity'))), 0)
        FROM {_JOBS} o
        WHERE o.status = 'todo' AND (o.scheduled_at IS NULL OR o.scheduled_at <= now())
        ORDER BY o.id LIMIT 1), 0),
    (SELECT count(*) FROM {_WORKERS}
     WHERE last_heartbeat >= now() - make_interval(secs => %s))
"""


def queue_state() -> QueueState:
    """How many jobs are ready, how long the oldest waited, how many workers are alive."""
    with connection.cursor() as cursor:
        cursor.execute(QUEUE_STATE_SQL, [float(settings.JOBS_STALLED_AFTER_SECONDS)])
        ready_jobs, oldest, workers = cursor.fetchone()
    oldest = float(oldest)
    stalled = oldest > settings.READY_MAX_QUEUE_AGE_SECONDS or (
        ready_jobs > 0 and workers == 0 and oldest > settings.JOBS_STALLED_AFTER_SECONDS
    )
    return QueueState("stalled" if stalled else "ok", int(ready_jobs), round(oldest, 3), int(workers))


def readiness() -> Readiness:
    try:
        queue = queue_state()
        database = "ok"
    except DatabaseError:
        database, queue = "error", QueueState("unknown", 0, 0.0, 0)
    return Readiness(database=database, redis=redis_status(), queue=queue)
