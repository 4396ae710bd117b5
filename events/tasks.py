"""Jobs of the domain events: fan-out, webhook delivery, consumers, and stalled-job recovery.

Every job here is safe to run more than once (a worker killed after the work but before
procrastinate marked the job done runs it again after ``retry_stalled_jobs``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from procrastinate import BaseRetryStrategy, RetryDecision, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.jobs import Job

from core.services import domain_events, webhooks
from core.utils.dates import utc_now
from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
DELIVER_TASK = "events.deliver_webhook"
CONSUMER_TASK = "events.run_consumer"
# Deliveries run before fan-outs waiting in the queue (procrastinate: higher first), so a
# backlog of dispatches does not delay events that are ready to go.
DELIVERY_PRIORITY = 10


class DeliveryFailed(Exception):
    """An attempt failed and another one is due in ``retry_in_seconds``."""

    def __init__(self, delivery_id: int, error: str, retry_in_seconds: float) -> None:
        super().__init__(f"delivery {delivery_id}: {error}; next attempt in {retry_in_seconds:.0f} s")
        self.retry_in_seconds = retry_in_seconds


class WebhookRetry(BaseRetryStrategy):
    """The schedule is decided by the delivery itself (backoff, Retry-After, the three-day
    window: core.services.webhooks); anything else that goes wrong (the database was away)
    is retried with a plain exponential backoff, a few times."""

    fallback = RetryStrategy(max_attempts=8, exponential_wait=2)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, DeliveryFailed):
            return RetryDecision(retry_at=utc_now() + timedelta(seconds=exception.retry_in_seconds))
        return self.fallback.get_retry_decision(exception=exception, job=job)


@app.task(
    name=domain_events.DISPATCH_TASK,
    queue=domain_events.DISPATCH_QUEUE,
    retry=RetryStrategy(max_attempts=10, exponential_wait=2),
)
def dispatch_events(user_id: int | None, batch: int = DISPATCH_BATCH) -> int:
    """Fan out every undispatched event of one player (None: the season-wide events), in
    sequence order: one WebhookDelivery (and delivery job) per subscribed endpoint, one job per
    interested consumer. Each event is fanned out once (``dispatched_at``, under its row lock).
    Returns the jobs made."""
    made = 0
    while True:
        with transaction.atomic():
            events = list(
                DomainEvent.objects.select_for_update()
                .filter(user_id=user_id, dispatched_at__isnull=True)
                .order_by("sequence", "id")[:batch]
            )
            if not events:
                return made
            made += _fan_out(events)
            DomainEvent.objects.filter(pk__in=[ev.pk for ev in events]).update(dispatched_at=utc_now())
        if len(events) < batch:
            return made


def _fan_out(events: list[DomainEvent]) -> int:
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True, disabled_at__isnull=True))
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=ep, event=ev) for ev in events for ep in endpoints if ev.type in ep.event_types]
    )
    user_of = {ev.pk: ev.user_id for ev in events}
    jobs: list[tuple[str, str, str | None, int, dict[str, Any]]] = [
        (
            "webhooks",
            DELIVER_TASK,
            webhooks.delivery_lock(d.endpoint_id, user_of[d.event_id]),
            DELIVERY_PRIORITY,
            {"delivery_id": d.pk},
        )
        for d in deliveries
    ]
    for consumer in domain_events.consumers():
        jobs += [
            (
                domain_events.DISPATCH_QUEUE,
                CONSUMER_TASK,
                f"consumer:{consumer.path}:{ev.user_id}",
                0,
                {"consumer": consumer.path, "event_id": ev.pk},
            )
            for ev in events
            if ev.type in consumer.event_types
        ]
    domain_events.insert_jobs(jobs)
    return len(jobs)


@app.task(name=DELIVER_TASK, queue="webhooks", retry=WebhookRetry())
def deliver_webhook(delivery_id: int) -> str:
    """One attempt; raises DeliveryFailed to be retried on procrastinate's schedule."""
    outcome = webhooks.attempt(delivery_id)
    if outcome.retry_in is not None:
        raise DeliveryFailed(delivery_id, outcome.error, outcome.retry_in.total_seconds())
    return "delivered" if outcome.delivered else f"given up: {outcome.error}"


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
