"""The event pump: fans domain events out and delivers webhooks in batches, in every worker
process (``manage.py run_worker`` runs one beside procrastinate's worker; docs/events.md).

- **Fan-out** in SQL: one statement claims up to ``WEBHOOK_FANOUT_BATCH`` undispatched events
  (``FOR UPDATE SKIP LOCKED``, oldest first), marks them dispatched and inserts one delivery per
  subscribed endpoint; consumer jobs (``DOMAIN_EVENT_CONSUMERS``) are inserted in the same
  transaction. The award statement no longer touches the job table: the pump sweeps the
  outbox (the event rows) every ``WEBHOOK_POLL_SECONDS``.
- **Claims** with a lease: one statement takes due deliveries whose endpoint is receiving and not
  paused, and that are the first pending one of their (endpoint, player) with no earlier event of
  the player still undispatched (so a player's events reach an endpoint in ``sequence`` order,
  across any number of workers), and sets ``leased_until``. A worker killed mid-batch loses
  nothing: its leases run out and another worker takes the deliveries (same ``webhook-id``).
- **Sending**: concurrently, up to ``WEBHOOK_CONCURRENCY`` requests in flight per process and
  ``WEBHOOK_ENDPOINT_CONCURRENCY`` per endpoint, over one pooled keep-alive ``httpx.AsyncClient``.
  A slow receiver fills only its own endpoint's slots; a 429 (or 503) with ``Retry-After`` pauses
  only that endpoint (``paused_until``).
- **Recording**: the outcome of each attempt (the same rules as before: backoff, Retry-After, the
  retry window, disabling dead endpoints; core/services/events/webhooks.py) in one statement per batch
  of answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import httpx
import psycopg
from django.conf import settings
from psycopg.rows import dict_row
from standardwebhooks import Webhook

from core.services.events import domain_events, webhooks
from core.utils.dates import iso_utc, utc_now
from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from ultrabackend import crypto
from ultrabackend.observability.context import request_id_bound
from users.models import CustomUser

logger = logging.getLogger("core.services.events.webhooks")


@functools.lru_cache(maxsize=1024)
def signing_secret(encrypted: str) -> str:
    """An endpoint's ``whsec_`` secret in clear (stored encrypted; decrypted once per process)."""
    return crypto.decrypt(encrypted)


# The tables, named by their models (a renamed table follows without touching the SQL).
_EVENTS = DomainEvent._meta.db_table
_DELIVERIES = WebhookDelivery._meta.db_table
_ENDPOINTS = WebhookEndpoint._meta.db_table
_USERS = CustomUser._meta.db_table

FAN_OUT_SQL = f"""
WITH ev AS (
    SELECT id, type, user_id, sequence FROM {_EVENTS}
    WHERE dispatched_at IS NULL ORDER BY id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), mark AS (
    UPDATE {_EVENTS} e SET dispatched_at = now() FROM ev WHERE e.id = ev.id
), ins AS (
    INSERT INTO {_DELIVERIES}
        (endpoint_id, event_id, status, attempts, last_error, created_at, next_attempt_at, player, seq)
    SELECT w.id, ev.id, 'pending', 0, '', now(), now(), COALESCE(ev.user_id, 0), COALESCE(ev.sequence, ev.id)
    FROM ev JOIN {_ENDPOINTS} w
      ON w.is_active AND w.disabled_at IS NULL AND w.event_types @> jsonb_build_array(ev.type)
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING 1
)
SELECT ev.id, ev.type, ev.user_id, (SELECT count(*) FROM ins) AS deliveries FROM ev ORDER BY ev.id
"""

READY_ENDPOINTS_SQL = f"""
SELECT id FROM {_ENDPOINTS}
WHERE is_active AND disabled_at IS NULL AND (paused_until IS NULL OR paused_until <= now())
"""

# Candidates in due order (the partial index webhook_delivery_due), so the scan stops after
# ``limit`` claimable rows instead of ranking every pending delivery.
CLAIM_SQL = f"""
WITH c AS (
    SELECT d.id FROM {_DELIVERIES} d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND d.endpoint_id = ANY(%(endpoints)s::bigint[])
      AND (d.leased_until IS NULL OR d.leased_until < now())
      AND NOT EXISTS (
          SELECT 1 FROM {_DELIVERIES} p
          WHERE p.status = 'pending' AND p.endpoint_id = d.endpoint_id AND p.player = d.player AND p.seq < d.seq)
      AND NOT EXISTS (
          SELECT 1 FROM {_EVENTS} u
          WHERE u.dispatched_at IS NULL AND d.player <> 0 AND u.user_id = d.player AND u.sequence < d.seq)
      AND NOT EXISTS (
          SELECT 1 FROM {_EVENTS} u
          WHERE u.dispatched_at IS NULL AND d.player = 0 AND u.user_id IS NULL AND u.id < d.seq)
    ORDER BY d.next_attempt_at, d.id
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE {_DELIVERIES} d
SET leased_until = now() + make_interval(secs => %(lease)s)
FROM c, {_ENDPOINTS} w, {_EVENTS} e
LEFT JOIN {_USERS} u ON u.id = e.user_id
WHERE d.id = c.id AND w.id = d.endpoint_id AND e.id = d.event_id
RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.created_at, w.url, w.secret_encrypted,
          e.type, e.user_id, e.sequence, e.data, e.created_at AS event_created_at, e.request_id,
          u.discord_id, COALESCE(NULLIF(u.display_name, ''), u.username) AS public_name
"""

RECORD_SQL = f"""
WITH r AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(ok)s::bool[], %(codes)s::int[], %(errors)s::text[],
                         %(retry)s::float8[], %(attempts)s::int[])
        AS t(id, ok, code, error, retry_in, attempts)
)
UPDATE {_DELIVERIES} d SET
    status = CASE WHEN r.ok THEN 'succeeded' WHEN r.retry_in IS NULL THEN 'failed' ELSE 'pending' END,
    attempts = r.attempts,
    last_status_code = r.code,
    last_attempt_at = %(now)s,
    last_error = r.error,
    delivered_at = CASE WHEN r.ok THEN %(now)s ELSE d.delivered_at END,
    next_attempt_at = CASE WHEN r.retry_in IS NULL THEN d.next_attempt_at
                           ELSE %(now)s + make_interval(secs => r.retry_in) END,
    leased_until = NULL
FROM r WHERE d.id = r.id AND d.status = 'pending'
"""

ENDPOINT_HEALTH_SQL = f"""
WITH ok AS (
    UPDATE {_ENDPOINTS} SET failing_since = NULL
    WHERE id = ANY(%(succeeded)s::bigint[]) AND failing_since IS NOT NULL
), failing AS (
    UPDATE {_ENDPOINTS} SET failing_since = %(now)s
    WHERE id = ANY(%(failed)s::bigint[]) AND failing_since IS NULL
), paused AS (
    UPDATE {_ENDPOINTS} w SET paused_until = %(now)s + make_interval(secs => p.secs)
    FROM unnest(%(paused)s::bigint[], %(pause_secs)s::float8[]) AS p(id, secs)
    WHERE w.id = p.id AND (w.paused_until IS NULL OR w.paused_until < %(now)s + make_interval(secs => p.secs))
)
UPDATE {_ENDPOINTS} SET disabled_at = %(now)s
WHERE id = ANY(%(failed)s::bigint[]) AND disabled_at IS NULL
  AND failing_since <= %(now)s - make_interval(secs => %(disable_after)s)
RETURNING id
"""

GIVE_UP_SQL = f"""
UPDATE {_DELIVERIES} d
SET status = 'failed', leased_until = NULL,
    last_error = CASE WHEN w.disabled_at IS NOT NULL THEN 'endpoint disabled' ELSE 'endpoint inactive' END
FROM {_ENDPOINTS} w
WHERE d.endpoint_id = w.id AND d.status = 'pending' AND (NOT w.is_active OR w.disabled_at IS NOT NULL)
"""


@dataclass(frozen=True)
class Attempt:
    """One request's result."""

    row: dict[str, Any]
    ok: bool
    status_code: int | None
    error: str
    retryable: bool
    wait_hint: timedelta | None
    seconds: float


@dataclass
class PumpStats:
    dispatched: int = 0
    delivered: int = 0
    failed: int = 0


def connection_params() -> dict[str, Any]:
    from procrastinate.contrib.django import settings as procrastinate_settings
    from procrastinate.contrib.django import utils as procrastinate_django_utils

    params = procrastinate_django_utils.connector_params(procrastinate_settings.settings.DATABASE_ALIAS)
    params = {k: v for k, v in params.items() if k not in {"prepare_threshold", "server_side_binding"}}
    params.setdefault("connect_timeout", 3)
    return params


def body_of(row: dict[str, Any]) -> str:
    """The documented body (webhooks.payload), from the claimed row."""
    data: dict[str, Any] = {}
    if row["user_id"] is not None:
        data["user"] = {"id": row["user_id"], "discord_id": row["discord_id"], "display_name": row["public_name"]}
        data["sequence"] = row["sequence"]
    data.update(row["data"] or {})
    payload = {"type": row["type"], "timestamp": iso_utc(row["event_created_at"]), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class Pump:
    """One process's fan-out and delivery loop. ``run()`` until ``stop()``; ``drain()`` (tests,
    benchmarks) until nothing is due."""

    def __init__(self, *, concurrency: int | None = None, per_endpoint: int | None = None) -> None:
        self.concurrency = concurrency or int(settings.WEBHOOK_CONCURRENCY)
        self.per_endpoint = per_endpoint or int(settings.WEBHOOK_ENDPOINT_CONCURRENCY)
        self.poll = float(settings.WEBHOOK_POLL_SECONDS)
        self.timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
        # a claimed delivery is this process's until then (killed: another worker takes it after)
        self.lease = max(float(settings.WEBHOOK_LEASE_SECONDS), self.timeout * 2)
        self.stopping = asyncio.Event()
        self.in_flight: dict[asyncio.Task[Attempt], int] = {}  # task -> endpoint
        self.done: list[Attempt] = []
        self.stats = PumpStats()
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._last_give_up = 0.0

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()

    # --- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Until stopped; database errors end it (the supervisor restarts the worker)."""
        async with self._open():
            while not self.stopping.is_set():
                busy = await self.step()
                if not busy:
                    await self._sleep(self.poll)
            await self._finish_in_flight()

    async def drain(self, *, timeout: float = 60.0) -> PumpStats:
        """Run until nothing is in flight, nothing undispatched and nothing due (a retry
        scheduled later stays)."""
        deadline = time.monotonic() + timeout
        async with self._open():
            idle_rounds = 0
            while time.monotonic() < deadline:
                busy = await self.step()
                if self.in_flight:
                    await self._wait_any(self.poll)
                    continue
                idle_rounds = 0 if busy else idle_rounds + 1
                if idle_rounds >= 2:
                    break
            await self._finish_in_flight()
        return self.stats

    async def step(self) -> bool:
        """One round: record finished attempts, fan out, claim and start sends. True when it
        did something (so the loop does not sleep)."""
        assert self.conn is not None
        did = await self._record()
        dispatched = await self._fan_out()
        did = did or dispatched > 0
        free = self.concurrency - len(self.in_flight)
        # A claim costs one scan whatever its size: refill when half the slots are free (or all
        # are), not after every single answer.
        if free > 0 and (free * 2 >= self.concurrency or not self.in_flight):
            rows = await self._claim(free)
            for row in rows:
                task = asyncio.create_task(self._send(row))
                self.in_flight[task] = row["endpoint_id"]
                task.add_done_callback(self._finished)
            did = did or bool(rows)
        now = time.monotonic()
        if now - self._last_give_up > 1.0:
            self._last_give_up = now
            async with self.conn.transaction():
                await self.conn.execute(GIVE_UP_SQL)
        if self.in_flight and not did:
            await self._wait_any(self.poll)
            did = bool(self.done)
        return did

    # --- pieces ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _open(self) -> Any:
        self.conn = await psycopg.AsyncConnection.connect(**connection_params(), autocommit=True)
        self.conn.row_factory = dict_row  # type: ignore[assignment]
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        transport = httpx.AsyncHTTPTransport(limits=limits, retries=0)
        if not webhooks.private_targets_allowed():
            webhooks.guard_async_transport(transport)
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": webhooks.USER_AGENT},
        )
        try:
            yield
        finally:
            for task in list(self.in_flight):
                task.cancel()
            with contextlib.suppress(Exception):
                await self.client.aclose()
            with contextlib.suppress(Exception):
                await self.conn.close()
            self.conn = self.client = None
            self.in_flight.clear()

    async def _fan_out(self) -> int:
        assert self.conn is not None
        made = 0
        async with self.conn.transaction():
            cursor = await self.conn.execute(FAN_OUT_SQL, {"limit": int(settings.WEBHOOK_FANOUT_BATCH)})
            events = await cursor.fetchall()
            if events:
                jobs = consumer_jobs(events)
                if jobs:
                    await self.conn.execute(domain_events.INSERT_JOBS_SQL, domain_events.insert_jobs_parameters(jobs))
                made = len(events)
        self.stats.dispatched += made
        return made

    async def _claim(self, limit: int) -> list[dict[str, Any]]:
        assert self.conn is not None
        per_endpoint = Counter(self.in_flight.values())
        busy = {ep for ep, n in per_endpoint.items() if n >= self.per_endpoint}
        cursor = await self.conn.execute(READY_ENDPOINTS_SQL)
        endpoints = [row["id"] for row in await cursor.fetchall() if row["id"] not in busy]
        if not endpoints:
            return []
        async with self.conn.transaction():
            cursor = await self.conn.execute(CLAIM_SQL, {"limit": limit, "endpoints": endpoints, "lease": self.lease})
            rows = await cursor.fetchall()
        if not rows:
            return []
        # Never more than per_endpoint in flight for one endpoint: the rest goes back at once.
        taken: list[dict[str, Any]] = []
        back: list[int] = []
        seen_player: set[tuple[int, Any]] = set()
        for row in sorted(rows, key=lambda r: r["id"]):
            key = (row["endpoint_id"], row["user_id"])
            if per_endpoint[row["endpoint_id"]] >= self.per_endpoint or key in seen_player:
                back.append(row["id"])
                continue
            per_endpoint[row["endpoint_id"]] += 1
            seen_player.add(key)
            taken.append(row)
        if back:
            await self.conn.execute(
                f"UPDATE {_DELIVERIES} SET leased_until = NULL WHERE id = ANY(%s::bigint[])", [back]
            )
        return taken

    async def _send(self, row: dict[str, Any]) -> Attempt:
        assert self.client is not None
        now = utc_now()
        started = time.perf_counter()
        status_code: int | None = None
        wait_hint: timedelta | None = None
        retryable = True
        try:
            if not webhooks.private_targets_allowed():
                await asyncio.to_thread(webhooks.validate_url, row["url"])
            body = body_of(row)
            msg_id = f"msg_{row['event_id']}"
            signature = Webhook(signing_secret(row["secret_encrypted"])).sign(msg_id=msg_id, timestamp=now, data=body)
            headers = {
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            }
            response = await self.client.post(row["url"], content=body.encode(), headers=headers)
            status_code = response.status_code
            await response.aclose()
            if 200 <= status_code < 300:
                return Attempt(row, True, status_code, "", False, None, time.perf_counter() - started)
            error = f"HTTP {status_code}"
            retryable = status_code >= 500 or status_code in webhooks.RETRY_STATUSES
            wait_hint = webhooks.retry_after(response, now) if retryable else None
        except (webhooks.WebhookTargetRefused, webhooks.InvalidWebhookUrl) as exc:
            error, retryable = f"refused: {exc.message}", False
        except webhooks.TargetRefused as exc:
            error, retryable = f"refused: {exc}", False
        except crypto.DecryptionFailed:  # FIELD_ENCRYPTION_KEY lost the key this secret was stored with
            error, retryable = "the endpoint's secret cannot be decrypted with FIELD_ENCRYPTION_KEY", False
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.ConnectError as exc:
            refused = "non-public address" in str(exc)
            error = f"refused: {exc}" if refused else "connection error: ConnectError"
            retryable = not refused
        except httpx.HTTPError as exc:
            error = f"connection error: {type(exc).__name__}"
        return Attempt(row, False, status_code, error[:500], retryable, wait_hint, time.perf_counter() - started)

    def _finished(self, task: asyncio.Task[Attempt]) -> None:
        self.in_flight.pop(task, None)
        if not task.cancelled() and task.exception() is None:
            self.done.append(task.result())
        elif not task.cancelled():
            logger.error("webhook send crashed", exc_info=task.exception())
        self._wake.set()

    async def _record(self) -> bool:
        """Write the finished attempts (one statement) and the endpoints' health."""
        if not self.done:
            return False
        assert self.conn is not None
        done, self.done = self.done, []
        now = utc_now()
        ids, oks, codes, errors, retries, attempts = [], [], [], [], [], []
        succeeded: set[int] = set()
        failed: set[int] = set()
        paused: dict[int, float] = {}
        outcomes: list[tuple[Attempt, webhooks.Outcome]] = []
        for a in done:
            row = a.row
            tries = row["attempts"] + 1
            retry_in = None
            if not a.ok:
                retry_in = webhooks.next_try(
                    attempts=tries, created_at=row["created_at"], now=now, retryable=a.retryable, wait_hint=a.wait_hint
                )
                failed.add(row["endpoint_id"])
                if a.status_code in (429, 503) and a.wait_hint:
                    seconds = a.wait_hint.total_seconds()
                    paused[row["endpoint_id"]] = max(paused.get(row["endpoint_id"], 0.0), seconds)
            else:
                succeeded.add(row["endpoint_id"])
            ids.append(row["id"])
            oks.append(a.ok)
            codes.append(a.status_code)
            errors.append(a.error)
            retries.append(retry_in.total_seconds() if retry_in is not None else None)
            attempts.append(tries)
            outcomes.append((a, webhooks.Outcome(a.ok, retry_in, a.status_code, a.error)))
        async with self.conn.transaction():
            await self.conn.execute(
                RECORD_SQL,
                {
                    "ids": ids,
                    "ok": oks,
                    "codes": codes,
                    "errors": errors,
                    "retry": retries,
                    "attempts": attempts,
                    "now": now,
                },
            )
            cursor = await self.conn.execute(
                ENDPOINT_HEALTH_SQL,
                {
                    "succeeded": sorted(succeeded - failed),
                    "failed": sorted(failed),
                    "paused": list(paused),
                    "pause_secs": list(paused.values()),
                    "now": now,
                    "disable_after": float(settings.WEBHOOK_DISABLE_AFTER_SECONDS),
                },
            )
            disabled = await cursor.fetchall()
        for row in disabled:
            logger.warning("webhook endpoint %s disabled: every delivery failed for a long time", row["id"])
        for a, outcome in outcomes:
            with request_id_bound(a.row["request_id"] or None):
                webhooks.log_attempt(
                    delivery_id=a.row["id"],
                    endpoint_id=a.row["endpoint_id"],
                    event_id=a.row["event_id"],
                    outcome=outcome,
                    seconds=a.seconds,
                )
            if outcome.delivered:
                self.stats.delivered += 1
            elif outcome.retry_in is None:
                self.stats.failed += 1
        return True

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _wait_any(self, seconds: float) -> None:
        if self.done:
            return
        await self._sleep(seconds)

    async def _finish_in_flight(self) -> None:
        if self.in_flight:
            await asyncio.wait(list(self.in_flight), timeout=self.timeout + 1)
        await self._record()


def consumer_jobs(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None, int, dict[str, Any]]]:
    """One ``events.run_consumer`` job per (consumer, event) it wants; lock per consumer and player."""
    return [
        (
            domain_events.DISPATCH_QUEUE,
            "events.run_consumer",
            f"consumer:{consumer.path}:{ev['user_id']}",
            0,
            {"consumer": consumer.path, "event_id": ev["id"]},
        )
        for consumer in domain_events.consumers()
        for ev in events
        if ev["type"] in consumer.event_types
    ]


def fan_out_sync(limit: int) -> int:
    """One fan-out batch over Django's connection (the ``events.dispatch`` job); returns the events."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FAN_OUT_SQL.replace("%(limit)s", "%s"), [limit])
        cols = [c[0] for c in cursor.description]
        events = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
        domain_events.insert_jobs(consumer_jobs(events))
    return len(events)


def drain_now(timeout: float = 60.0) -> PumpStats:
    """Run a pump in this thread until nothing is due (tests, commands)."""
    return asyncio.run(Pump().drain(timeout=timeout))


class Runnable(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


async def run_forever(
    stopping: asyncio.Event,
    on_error: Callable[[BaseException], Awaitable[None]],
    make: Callable[[], Runnable] = Pump,
) -> None:
    """A pump (``make()``: this event pump, or the Discord pump) that restarts itself (with
    backoff) after a database error, until ``stopping``."""
    delay = float(settings.WORKER_RESTART_BACKOFF_SECONDS)
    while not stopping.is_set():
        pump = make()
        watcher = asyncio.create_task(_stop_when(stopping, pump))
        try:
            await pump.run()
            delay = float(settings.WORKER_RESTART_BACKOFF_SECONDS)
        except Exception as exc:
            await on_error(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, float(settings.WORKER_RESTART_BACKOFF_MAX_SECONDS))
        finally:
            watcher.cancel()


async def _stop_when(stopping: asyncio.Event, pump: Runnable) -> None:
    await stopping.wait()
    pump.stop()
