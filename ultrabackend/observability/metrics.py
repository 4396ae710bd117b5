"""Prometheus metrics (``GET /metrics``, bearer ``METRICS_TOKEN``; names in docs/operations.md).

Two kinds:

- **Counted in the process** (requests, webhook attempts, Discord calls): counters and histograms
  of ``prometheus_client``. Under gunicorn every worker process counts its own; set
  ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory shared by the web and worker processes of a
  machine) and the scrape sums them across processes (prometheus_client's multiprocess mode).
- **Read at scrape time** (:class:`StateCollector`): queue depth and age per queue, pending
  deliveries and health per webhook endpoint, undispatched events, PostgreSQL connections by
  state, Redis, the breakers. These are the same whichever process answers the scrape.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ultrabackend.postgresql.breaker import database_breaker
from ultrabackend.redis import _BREAKERS, redis_status

logger = logging.getLogger(__name__)
# No *_created series: a restart is visible from the counters themselves.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "igo_http_requests_total", "HTTP requests answered, by route pattern and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "igo_http_request_duration_seconds",
    "Time from the first middleware to the answer, by route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WEBHOOK_DELIVERIES = Counter(
    "igo_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up).",
    ["outcome"],
)
WEBHOOK_LATENCY = Histogram(
    "igo_webhook_delivery_duration_seconds",
    "Time of one webhook request, until the receiver's answer or the error.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DISCORD_CALLS = Counter(
    "igo_discord_requests_total",
    "Requests to Discord's REST API by route and status (429 included).",
    ["route", "status"],
)
DISCORD_MESSAGES = Counter(
    "igo_discord_messages_total",
    "Discord announcements and DMs sent by the pump, by kind (announcement, dm) and outcome: sent, "
    "rate_limited (429: the route waits), retry (5xx, timeout: backoff), failed (given up or refused).",
    ["kind", "outcome"],
)
WORKER_RESTARTS = Counter(
    "igo_worker_restarts_total", "Times the worker supervisor restarted the job loop after a database or Redis outage."
)

BREAKER_STATES = {"closed": 0.0, "half-open": 1.0, "open": 2.0}


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class StateCollector(Collector):
    """Gauges read when scraped. Each part fails on its own (PostgreSQL down: ``igo_database_up 0``
    and no queue figures, never a failed scrape)."""

    def collect(self) -> Iterator[Any]:
        yield from self._database()
        yield from self._redis()
        yield from self._breakers()

    def _database(self) -> Iterator[Any]:
        from django.db import connection

        up = GaugeMetricFamily("igo_database_up", "1 when PostgreSQL answered this scrape.")
        started = time.perf_counter()
        try:
            with connection.cursor() as cursor:
                families = list(_database_families(cursor))
        except Exception as exc:  # any database failure: report it down, keep the scrape
            logger.warning("metrics: PostgreSQL did not answer: %s", type(exc).__name__)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        took = GaugeMetricFamily("igo_metrics_scrape_database_seconds", "Time the scrape's database reads took.")
        took.add_metric([], time.perf_counter() - started)
        yield took
        yield from families

    def _redis(self) -> Iterator[Any]:

        up = GaugeMetricFamily(
            "igo_redis_up", "1: Redis answers; 0: configured but unreachable; absent: not configured."
        )
        status = redis_status()
        if status != "not_configured":
            up.add_metric([], 1.0 if status == "ok" else 0.0)
        yield up

    def _breakers(self) -> Iterator[Any]:

        family = GaugeMetricFamily(
            "igo_breaker_state",
            "Circuit breakers of the answering process: 0 closed, 1 half-open, 2 open.",
            labels=["breaker"],
        )
        family.add_metric(["postgresql"], BREAKER_STATES.get(database_breaker().current_state, 0.0))
        for breaker in list(_BREAKERS.values()):
            family.add_metric([f"redis:{breaker.name}"], BREAKER_STATES.get(breaker.current_state, 0.0))
        yield family


# Gauges a domain app reads from its own tables at scrape time, registered in its
# AppConfig.ready (events/apps.py: undispatched events, webhook endpoints): this module names no
# domain table. procrastinate's tables are named below as procrastinate's schema names them.
DATABASE_GAUGES: list[Callable[[Any], Iterator[Any]]] = []


def _database_families(cursor: Any) -> Iterator[Any]:
    depth = GaugeMetricFamily(
        "igo_queue_jobs",
        "Jobs in the task queue by queue and status (todo = waiting, doing = running).",
        labels=["queue", "status"],
    )
    cursor.execute(
        "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
        "WHERE status IN ('todo', 'doing') GROUP BY 1, 2"
    )
    for queue, status, n in cursor.fetchall():
        depth.add_metric([queue, status], float(n))
    yield depth

    age = GaugeMetricFamily(
        "igo_queue_oldest_ready_age_seconds",
        "Seconds the oldest job that is ready to run has waited, per queue (0: none waiting).",
        labels=["queue"],
    )
    cursor.execute(
        """
        SELECT o.queue_name, GREATEST(EXTRACT(EPOCH FROM now() - GREATEST(
                   COALESCE((SELECT min(e.at) FROM procrastinate_events e
                             WHERE e.job_id = o.id AND e.type = 'deferred'), now()),
                   COALESCE(o.scheduled_at, '-infinity'))), 0)
        FROM (SELECT DISTINCT ON (queue_name) queue_name, id, scheduled_at FROM procrastinate_jobs
              WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
              ORDER BY queue_name, id) AS o
        """
    )
    for queue, seconds in cursor.fetchall():
        age.add_metric([queue], float(seconds))
    yield age

    for gauges in DATABASE_GAUGES:
        yield from gauges(cursor)

    discord = GaugeMetricFamily(
        "igo_discord_messages_pending", "Discord announcements and DMs waiting to be sent, by kind.", labels=["kind"]
    )
    discord_age = GaugeMetricFamily(
        "igo_discord_oldest_pending_age_seconds", "How long the oldest waiting Discord message has waited."
    )
    cursor.execute(
        "SELECT kind, count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) "
        "FROM community_discordmessage WHERE status = 'pending' GROUP BY 1"
    )
    oldest = 0.0
    for kind, n, age_seconds in cursor.fetchall():
        discord.add_metric([kind], float(n))
        oldest = max(oldest, float(age_seconds))
    discord_age.add_metric([], oldest)
    paused = GaugeMetricFamily(
        "igo_discord_paused_routes",
        "Discord rate-limit routes paused now (a 429 or an exhausted bucket), by scope: global, dm, route.",
        labels=["scope"],
    )
    cursor.execute(
        "SELECT CASE WHEN key IN ('global', 'dm') THEN key ELSE 'route' END, count(*) "
        "FROM community_discordratelimit WHERE paused_until > now() GROUP BY 1"
    )
    counts = dict(cursor.fetchall())
    for scope in ("global", "dm", "route"):
        paused.add_metric([scope], float(counts.get(scope, 0)))
    yield from (discord, discord_age, paused)

    conns = GaugeMetricFamily(
        "igo_database_connections", "Connections to this database by state (pg_stat_activity).", labels=["state"]
    )
    cursor.execute(
        "SELECT COALESCE(state, 'unknown'), count(*) FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1"
    )
    for state, n in cursor.fetchall():
        conns.add_metric([state], float(n))
    yield conns


_STATE = StateCollector()


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    state = CollectorRegistry(auto_describe=False)
    state.register(_STATE)
    return counted + generate_latest(state), CONTENT_TYPE_LATEST
