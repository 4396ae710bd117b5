"""Run the task queue's pending jobs in the test process, as `manage.py procrastinate worker` does."""

from __future__ import annotations

from django.db.models import Q
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from core.utils.dates import utc_now

# A job that keeps coming back ready (a task that defers itself) must not hang a test.
MAX_WORKER_RUNS = 20


def run_pending_jobs(queues: list[str] | None = None) -> None:
    """Process every job that is ready now, then return (needs a transactional test: the worker
    reads committed jobs over its own connection, as the real worker does).

    A worker started with ``wait=False`` stops at the first fetch that finds nothing, and a job
    whose ``lock`` is held by one still finishing is not fetchable at that instant; so the worker
    is run again while a job that is ready now remains. Jobs a retry scheduled for later stay."""
    from events.pump import fan_out_sync

    for _ in range(MAX_WORKER_RUNS):
        # the worker's event pump fans events out (consumer jobs); tests/events drain() delivers too
        while fan_out_sync(500):
            pass
        with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
            app.run_worker(queues=queues, wait=False, install_signal_handlers=False, listen_notify=False)
        if not _ready_jobs(queues).exists() and not _undispatched():
            break
    # ... and its Discord pump sends the announcements and DMs the jobs put into the outbox
    from community.discord_pump import drain_now
    from community.models import DiscordMessage

    if DiscordMessage.objects.filter(status="pending").exists():
        drain_now()


def _ready_jobs(queues: list[str] | None):
    ready = ProcrastinateJob.objects.filter(status="todo").filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=utc_now())
    )
    return ready.filter(queue_name__in=queues) if queues else ready


def _undispatched() -> bool:
    from events.models import DomainEvent

    return DomainEvent.objects.filter(dispatched_at__isnull=True).exists()
