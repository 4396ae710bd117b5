"""Jobs of the domain events: fan-out, webhook delivery, consumers, and stalled-job recovery.

Every job here is safe to run more than once (a worker killed after the work but before
procrastinate marked the job done runs it again after ``retry_stalled_jobs``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from core.services.events import domain_events
from events.models import DomainEvent, WebhookDelivery
from events.pump import fan_out_sync
from ultrabackend.observability.context import request_id_bound

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
DELIVER_TASK = "events.deliver_webhook"
CONSUMER_TASK = "events.run_consumer"


@app.task(
    name=domain_events.DISPATCH_TASK,
    queue=domain_events.DISPATCH_QUEUE,
    retry=RetryStrategy(max_attempts=10, exponential_wait=2),
)
def dispatch_events(user_id: int | None = None, batch: int = DISPATCH_BATCH) -> int:
    """Fan out every undispatched event now, in batches (what each worker's event pump does
    continuously, events/pump.py). Awards no longer make this job; jobs made by a previous
    release, or deferred by hand, still run it. Returns the events fanned out."""

    made = 0
    while True:
        done = fan_out_sync(batch)
        made += done
        if done < batch:
            return made


@app.task(name=DELIVER_TASK, queue="webhooks")
def deliver_webhook(delivery_id: int) -> str:
    """Jobs made by a previous release: the delivery is pending, and the event pump of every
    worker sends it under its lease (sending it here too could send it twice at once)."""
    status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    return f"left to the event pump ({status or 'gone'})"


@app.task(
    name=CONSUMER_TASK,
    queue=domain_events.DISPATCH_QUEUE,
    retry=RetryStrategy(max_attempts=12, exponential_wait=3),
)
def run_consumer(consumer: str, event_id: int) -> None:
    """Hand one event to one DOMAIN_EVENT_CONSUMERS callable (an exception retries it)."""
    found = domain_events.consumer_by_path(consumer)
    if found is None:
        logger.warning("consumer %s is no longer configured; event %s not handed to it", consumer, event_id)
        return
    event = DomainEvent.objects.select_related("user").filter(pk=event_id).first()
    if event is not None:
        with request_id_bound(event.request_id or None):  # what it logs and writes carries the id
            found.handle(event)


@app.periodic(cron="* * * * *", periodic_id="retry_stalled_jobs")
@app.task(name="events.retry_stalled_jobs", queue="maintenance", queueing_lock="retry_stalled_jobs", pass_context=False)
async def retry_stalled_jobs(timestamp: int) -> int:
    """Every minute: jobs left "doing" by a worker that stopped sending heartbeats (killed,
    machine lost) go back to the queue. Returns how many."""
    return await recover_stalled_jobs(seconds_since_heartbeat=settings.JOBS_STALLED_AFTER_SECONDS)


async def recover_stalled_jobs(*, seconds_since_heartbeat: float) -> int:
    """Put the jobs of workers silent for ``seconds_since_heartbeat`` back to "todo" (their
    lock, and so their place in a player's order, is kept)."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
    for job in stalled:
        logger.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)
