"""The Discord pump: sends the outbox's announcements and DMs (``DiscordMessage``) in batches from
every worker process (``manage.py run_worker`` runs one beside the event pump), under Discord's
rate limits shared by all workers through the database (docs/events.md "Discord announcements
and DMs").

- **Claims** with a lease, like webhook deliveries: one statement takes the first pending message
  of each route (``channel:<id>``, ``webhook:<id>``, ``dm:<discord id>``) that is due, not leased
  and whose route is not paused, ``FOR UPDATE SKIP LOCKED``. So a route's messages go out one at
  a time and in order, across any number of workers; different routes go out concurrently. A
  worker killed mid-batch loses nothing: its leases run out and another worker sends the
  messages (channel and DM posts carry ``nonce`` with ``enforce_nonce``, so Discord does not
  create a message twice when the first request did arrive).
- **Rate limits** (``DiscordRateLimit``): a 429 pauses the route it came from (``retry_after`` of
  the body, or Retry-After / X-RateLimit-Reset-After), or every route when Discord says it is the
  global limit; an answer with ``X-RateLimit-Remaining: 0`` pauses its route until the bucket
  resets (no 429 at all). Opening DM channels is one route of its own (``dm``). The global budget
  (``DISCORD_GLOBAL_RATE`` requests a second, all workers together) is taken in the claim's
  transaction.
- **Retries**: a 5xx, a timeout or an unreachable Discord backs off (``DISCORD_RETRY_BASE_SECONDS``
  x 2^(attempt-1), at most 10 minutes) for ``DISCORD_RETRY_FOR_SECONDS``; any other 4xx fails the
  message at once (logged). A failing message holds back its own route only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import psycopg
from django.conf import settings
from psycopg.rows import dict_row

from community.models import WEBHOOK_URL_RE
from core.clients import discord as api
from core.utils.dates import utc_now
from core.utils.headers import is_header_safe
from events.pump import connection_params
from ultrabackend.observability import metrics
from ultrabackend.observability.context import request_id_bound

logger = logging.getLogger("community.discord_pump")

GLOBAL, DM_GATE = "global", "dm"
MAX_BACKOFF_SECONDS = 600.0

# The head of every route (index discord_message_route_pending), then those due, not leased and
# not paused, oldest due first; locked with SKIP LOCKED and re-checked (another worker may have
# leased or sent one since this statement's snapshot).
CLAIM_SQL = """
WITH heads AS (
    SELECT DISTINCT ON (route) id, route, kind, next_attempt_at, leased_until
    FROM community_discordmessage WHERE status = 'pending'
    ORDER BY route, id
), due AS (
    SELECT h.id FROM heads h
    WHERE h.next_attempt_at <= now() AND (h.leased_until IS NULL OR h.leased_until < now())
      AND NOT EXISTS (
          SELECT 1 FROM community_discordratelimit r
          WHERE r.paused_until > now()
            AND (r.key = h.route OR r.key = 'global' OR (h.kind = 'dm' AND r.key = 'dm')))
    ORDER BY h.next_attempt_at, h.id
    LIMIT %(limit)s
), c AS (
    SELECT m.id, ch.channel_id AS channel_snowflake, ch.webhook_url, COALESCE(ch.is_active, false) AS channel_active,
           ch.guild_id
    FROM community_discordmessage m JOIN due ON due.id = m.id
    LEFT JOIN community_announcementchannel ch ON ch.id = m.channel_id
    WHERE m.status = 'pending' AND (m.leased_until IS NULL OR m.leased_until < now())
    FOR UPDATE OF m SKIP LOCKED
)
UPDATE community_discordmessage m SET leased_until = now() + make_interval(secs => %(lease)s)
FROM c WHERE m.id = c.id
RETURNING m.id, m.kind, m.route, m.recipient, m.body, m.attempts, m.created_at, m.request_id,
          c.channel_snowflake, c.webhook_url, c.channel_active, c.guild_id
"""

# The global budget of this second (all workers): the row is locked until the claim commits.
BUDGET_SQL = """
INSERT INTO community_discordratelimit AS r (key, used, window_start)
VALUES ('global', 0, date_trunc('second', clock_timestamp()))
ON CONFLICT (key) DO UPDATE SET
    used = CASE WHEN r.window_start = date_trunc('second', clock_timestamp()) THEN r.used ELSE 0 END,
    window_start = date_trunc('second', clock_timestamp())
RETURNING used
"""

RECORD_SQL = """
UPDATE community_discordmessage m SET
    status = r.status,
    attempts = r.attempts,
    last_status_code = r.code,
    last_error = r.error,
    sent_at = CASE WHEN r.status = 'sent' THEN %(now)s ELSE m.sent_at END,
    next_attempt_at = CASE WHEN r.retry_in IS NULL THEN m.next_attempt_at
                           ELSE %(now)s + make_interval(secs => r.retry_in) END,
    leased_until = NULL
FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(codes)s::int[], %(errors)s::text[],
            %(retry)s::float8[], %(attempts)s::int[]) AS r(id, status, code, error, retry_in, attempts)
WHERE m.id = r.id AND m.status = 'pending'
"""

PAUSE_SQL = """
INSERT INTO community_discordratelimit AS r (key, paused_until, used)
SELECT p.key, %(now)s + make_interval(secs => p.secs), 0 FROM unnest(%(keys)s::text[], %(secs)s::float8[]) AS p(key, secs)
ON CONFLICT (key) DO UPDATE SET paused_until = GREATEST(r.paused_until, EXCLUDED.paused_until)
"""

SENT, RATE_LIMITED, RETRY, FAILED = "sent", "rate_limited", "retry", "failed"


@dataclass(frozen=True)
class Answer:
    """Discord's answer to one request (``status`` None: no answer, ``error`` says why)."""

    status: int | None
    body: Any = None
    headers: httpx.Headers | None = None
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    row: dict[str, Any]
    result: str  # SENT, RATE_LIMITED, RETRY, FAILED
    status_code: int | None
    error: str
    wait: float | None  # RATE_LIMITED: seconds until the route may go again
    pauses: tuple[tuple[str, float], ...]  # (rate-limit key, seconds)
    seconds: float


def pauses_from(answer: Answer, key: str) -> tuple[str, float, tuple[tuple[str, float], ...]]:
    """(result, seconds to wait, pauses) of an answer to a request on the route ``key``."""
    headers = answer.headers or httpx.Headers()
    if answer.status is None:
        return RETRY, 0.0, ()
    if answer.status == 429:
        wait = api.retry_after(headers, answer.body)
        is_global = (isinstance(answer.body, dict) and answer.body.get("global") is True) or (
            headers.get("X-RateLimit-Global", "").lower() == "true" or headers.get("X-RateLimit-Scope") == "global"
        )
        return RATE_LIMITED, wait, ((GLOBAL if is_global else key, wait),)
    if answer.status >= 500:
        return RETRY, 0.0, ()
    if answer.status >= 400:
        return FAILED, 0.0, ()
    if headers.get("X-RateLimit-Remaining") == "0":  # the bucket is empty: wait for its reset, no 429
        with contextlib.suppress(TypeError, ValueError):
            return SENT, 0.0, ((key, min(float(headers.get("X-RateLimit-Reset-After", "")), 3600.0)),)
    return SENT, 0.0, ()


def next_try(*, result: str, attempts: int, created_at: Any, now: Any, wait: float | None) -> float | None:
    """Seconds until the next attempt, None when the message is done (sent or given up)."""
    if result == RATE_LIMITED:
        return wait or 0.0
    if result != RETRY:
        return None
    delay = min(float(settings.DISCORD_RETRY_BASE_SECONDS) * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    if now + timedelta(seconds=delay) > created_at + timedelta(seconds=int(settings.DISCORD_RETRY_FOR_SECONDS)):
        return None
    return delay


class DiscordPump:
    """One process's Discord sender. ``run()`` until ``stop()``; ``drain()`` (tests) until nothing
    is due."""

    def __init__(self, *, concurrency: int | None = None) -> None:
        self.concurrency = concurrency or int(settings.DISCORD_CONCURRENCY)
        self.poll = float(settings.DISCORD_POLL_SECONDS)
        self.timeout = float(settings.DISCORD_TIMEOUT_SECONDS)
        # a DM is two requests: the lease outlasts both timeouts
        self.lease = max(float(settings.DISCORD_LEASE_SECONDS), self.timeout * 3)
        self.rate = int(settings.DISCORD_GLOBAL_RATE)
        self.in_flight: set[asyncio.Task[Outcome]] = set()
        self.sent = 0
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.client: httpx.AsyncClient | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stopped; database errors end it (run_forever restarts it with backoff)."""
        async with self._open():
            while not self._stopping.is_set():
                if not await self.step():
                    await self._sleep(self.poll)
            await self._finish()

    async def drain(self, *, timeout: float = 30.0) -> int:
        """Until nothing is in flight or due (a paused route or a later retry stays); returns the
        messages sent."""
        deadline = time.monotonic() + timeout
        async with self._open():
            idle = 0
            while time.monotonic() < deadline and idle < 2:
                busy = await self.step()
                if self.in_flight:
                    await self._sleep(self.poll)
                    continue
                idle = 0 if busy else idle + 1
            await self._finish()
        return self.sent

    async def step(self) -> bool:
        """Record finished sends, claim and start new ones; True when it did something."""
        did = await self._record(self._collect())
        free = self.concurrency - len(self.in_flight)
        if free > 0 and (free * 2 >= self.concurrency or not self.in_flight):
            for row in await self._claim(free):
                task = asyncio.create_task(self._send(row))
                self.in_flight.add(task)
                did = True
        return did

    @contextlib.asynccontextmanager
    async def _open(self) -> AsyncIterator[None]:
        self.conn = await psycopg.AsyncConnection.connect(**connection_params(), autocommit=True)
        self.conn.row_factory = dict_row  # type: ignore[assignment]
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(limits=limits, retries=0),
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
        )
        try:
            yield
        finally:
            for task in self.in_flight:  # a killed worker's claims: their leases run out
                task.cancel()
            for close in (self.client.aclose, self.conn.close):
                with contextlib.suppress(Exception):
                    await close()
            self.conn, self.client, self.in_flight = None, None, set()

    async def _claim(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` heads of routes, within this second's global budget (a DM costs two).
        The budget row is written only when there is something to send (an idle pump writes
        nothing); every claim locks messages first, then the budget row (no deadlock)."""
        assert self.conn is not None
        async with self.conn.transaction():
            cursor = await self.conn.execute(CLAIM_SQL, {"limit": min(limit, self.rate), "lease": self.lease})
            rows = await cursor.fetchall()
            if not rows:
                return []
            cursor = await self.conn.execute(BUDGET_SQL)
            budget = self.rate - int((await cursor.fetchone() or {"used": 0})["used"])
            taken, back, cost = [], [], 0
            for row in rows:
                price = 2 if row["kind"] == "dm" else 1
                if cost + price > budget:
                    back.append(row["id"])
                    continue
                cost += price
                taken.append(row)
            if back:  # over this second's budget: claimable again at once (next second)
                await self.conn.execute(
                    "UPDATE community_discordmessage SET leased_until = NULL WHERE id = ANY(%s::bigint[])", [back]
                )
            if cost:
                await self.conn.execute(
                    "UPDATE community_discordratelimit SET used = used + %s WHERE key = 'global'", [cost]
                )
        return taken

    async def _request(self, path: str, body: Any, *, bot: bool) -> Answer:
        assert self.client is not None
        headers = {"Accept": "application/json", "User-Agent": "iGoUltra (community)"}
        if bot:
            headers.update(api.bot_headers())
        if not all(is_header_safe(value) for value in headers.values()):
            return Answer(400, error="a header value (DISCORD_BOT_TOKEN?) is not printable ASCII")
        try:
            response = await self.client.post(api.url(path), json=body, headers=headers)
        except httpx.HTTPError as exc:
            api.count_request("POST", path, "error")
            return Answer(None, error=f"Discord unreachable: {type(exc).__name__}")
        api.count_request("POST", path, str(response.status_code))
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = None
        error = "" if response.status_code < 400 else f"HTTP {response.status_code}: {parsed!r}"[:500]
        return Answer(response.status_code, parsed, response.headers, error)

    async def _send(self, row: dict[str, Any]) -> Outcome:
        started = time.perf_counter()

        def outcome(answer: Answer, key: str) -> Outcome:
            result, wait, pauses = pauses_from(answer, key)
            return Outcome(row, result, answer.status, answer.error, wait, pauses, time.perf_counter() - started)

        body = dict(row["body"])
        if row["kind"] == "dm":
            opened = await self._request("/users/@me/channels", {"recipient_id": row["recipient"]}, bot=True)
            if opened.status != 200 or not isinstance(opened.body, dict) or "id" not in opened.body:
                if opened.status == 200:  # 200 without a channel: Discord is not itself
                    opened = Answer(502, error="Discord opened no DM channel")
                return outcome(opened, DM_GATE)
            path, bot = f"/channels/{opened.body['id']}/messages", True
            body.update(nonce=f"igo{row['id']}", enforce_nonce=True)
        elif not row["channel_active"]:
            return Outcome(row, FAILED, None, "announcement channel switched off", None, (), 0.0)
        elif row["channel_snowflake"]:
            path, bot = f"/channels/{row['channel_snowflake']}/messages", True
            body.update(nonce=f"igo{row['id']}", enforce_nonce=True)
        else:
            match = WEBHOOK_URL_RE.match(row["webhook_url"] or "")
            if match is None:
                return Outcome(row, FAILED, None, "unusable channel webhook URL", None, (), 0.0)
            path, bot = f"/webhooks/{match.group(1)}/{match.group(2)}", False
        return outcome(await self._request(path, body, bot=bot), row["route"])

    def _collect(self) -> list[Outcome]:
        """The sends that finished since the last round (a crashed one is logged; its lease runs
        out and it is sent again)."""
        finished = [task for task in self.in_flight if task.done()]
        self.in_flight.difference_update(finished)
        outcomes = []
        for task in finished:
            if task.cancelled():
                continue
            if (error := task.exception()) is not None:
                logger.error("Discord send crashed", exc_info=error)
                continue
            outcomes.append(task.result())
        return outcomes

    async def _record(self, done: list[Outcome]) -> bool:
        """The finished sends (one statement) and the rate-limit pauses they learned."""
        if not done:
            return False
        assert self.conn is not None
        now = utc_now()
        columns: dict[str, list[Any]] = {k: [] for k in ("ids", "statuses", "codes", "errors", "retry", "attempts")}
        pauses: dict[str, float] = {}
        for o in done:
            tries = o.row["attempts"] + 1
            retry_in = next_try(result=o.result, attempts=tries, created_at=o.row["created_at"], now=now, wait=o.wait)
            status = "sent" if o.result == SENT else "pending" if retry_in is not None else "failed"
            for name, value in zip(
                columns, (o.row["id"], status, o.status_code, o.error, retry_in, tries), strict=True
            ):
                columns[name].append(value)
            for key, seconds in o.pauses:
                pauses[key] = max(pauses.get(key, 0.0), seconds)
        async with self.conn.transaction():
            await self.conn.execute(RECORD_SQL, {**columns, "now": now})
            if pauses:
                await self.conn.execute(PAUSE_SQL, {"keys": list(pauses), "secs": list(pauses.values()), "now": now})
        for o, status in zip(done, columns["statuses"], strict=True):
            outcome = o.result if status != "failed" else FAILED
            metrics.DISCORD_MESSAGES.labels(o.row["kind"], outcome).inc()
            self.sent += outcome == SENT
            with request_id_bound(o.row["request_id"] or None):
                logger.log(
                    logging.INFO if outcome == SENT else logging.WARNING,
                    "Discord %s %s: %s%s",
                    o.row["kind"],
                    o.row["id"],
                    outcome,
                    f" ({o.error})" if o.error else "",
                    extra={
                        "discord_message_id": o.row["id"],
                        "kind": o.row["kind"],
                        # a DM's route names the player: logged as the route kind only
                        "route": "dm" if o.row["kind"] == "dm" else o.row["route"],
                        "guild_id": o.row["guild_id"],
                        "outcome": outcome,
                        "status_code": o.status_code,
                        "duration_ms": round(o.seconds * 1000, 1),
                    },
                )
        return True

    async def _sleep(self, seconds: float) -> None:
        """Until a send finishes, a stop, or ``seconds``."""
        if self.in_flight:
            await asyncio.wait(self.in_flight, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _finish(self) -> None:
        if self.in_flight:
            await asyncio.wait(self.in_flight, timeout=self.timeout * 2 + 1)
        await self._record(self._collect())


def drain_now(timeout: float = 30.0) -> int:
    """Send what is due in this thread until nothing is (tests, commands); returns the sent."""
    return asyncio.run(DiscordPump().drain(timeout=timeout))
