"""A real webhook receiver on loopback that verifies every signature with the standardwebhooks
library, and helpers to drive the task queue in tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from standardwebhooks import Webhook, WebhookVerificationError

from core.services.events import webhooks
from events.models import WebhookEndpoint


@dataclass
class Received:
    msg_id: str
    timestamp: str
    body: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    """Answers 200 unless ``respond`` says otherwise: respond(request_number) -> (status,
    headers, delay seconds). Records every verified request; a request with a bad signature is
    recorded in ``bad_signatures`` and answered 400."""

    secret: str = ""
    respond: Callable[[int], tuple[int, dict[str, str], float]] | None = None
    received: list[Received] = field(default_factory=list)
    bad_signatures: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def delivered(self) -> list[Received]:
        """Requests answered 2xx."""
        with self.lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.delivered()
            if len({r.msg_id for r in got}) >= count:
                return got
            time.sleep(0.05)
        return self.delivered()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender died mid-request (a killed worker): nothing arrived
                self.close_connection = True
                return
            with receiver.lock:
                receiver.requests += 1
                number = receiver.requests
            status, headers, delay = (200, {}, 0.0) if receiver.respond is None else receiver.respond(number)
            try:
                payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                with receiver.lock:
                    receiver.bad_signatures.append(str(exc))
                status, payload = 400, None
            if delay:
                time.sleep(delay)
            if payload is not None:
                with receiver.lock:
                    receiver.received.append(
                        Received(self.headers["webhook-id"], self.headers["webhook-timestamp"], payload, status)
                    )
            answer = json.dumps({"ok": status < 300}).encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up (timeout test)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    rec.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    rec.server.daemon_threads = True
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


@pytest.fixture
def endpoint(receiver: Receiver, db: None) -> Callable[..., WebhookEndpoint]:
    """endpoint(*event_types) -> a subscription of the receiver (its secret handed to it)."""

    def make(*types: str) -> WebhookEndpoint:
        made = webhooks.create_endpoint(url=receiver.url, event_types=list(types) or ["level_up"])
        receiver.secret = made.secret
        return made

    return make


@pytest.fixture
def empty_job_queue(transactional_db: None) -> None:
    """Jobs left by earlier tests (procrastinate's tables are not flushed between tests)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_periodic_defers")
        cursor.execute("DELETE FROM procrastinate_jobs")


def jobs(task_name: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT id, task_name, lock, args, status, scheduled_at, attempts FROM procrastinate_jobs WHERE true"
    params: list[Any] = []
    if task_name:
        sql += " AND task_name = %s"
        params.append(task_name)
    if status:
        sql += " AND status = %s"
        params.append(status)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", params)
        cols = [c[0] for c in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]


def make_due_now() -> int:
    """Retries scheduled in the future become due (instead of waiting for them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo' AND scheduled_at > now()"
        )
        jobs_due = cursor.rowcount
        cursor.execute(
            "UPDATE events_webhookdelivery SET next_attempt_at = now() WHERE status = 'pending' AND next_attempt_at > now()"
        )
        cursor.execute("UPDATE events_webhookendpoint SET paused_until = NULL WHERE paused_until IS NOT NULL")
        return jobs_due + cursor.rowcount


@pytest.fixture
def closed_port() -> str:
    """A loopback URL where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def drain(max_rounds: int = 50) -> None:
    """Run the worker and the event pump until they make no more progress: jobs deferred by jobs,
    fan-out and deliveries, and retries due now run too; jobs waiting behind a lock or a later
    schedule stay."""
    from events.pump import drain_now
    from tests.jobs import run_pending_jobs

    def finished() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(attempts) FROM procrastinate_jobs WHERE queue_name <> 'maintenance'")
            count, attempts = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE status NOT IN ('todo', 'doing')")
            done = cursor.fetchone()[0]
            cursor.execute("SELECT count(*), COALESCE(sum(attempts), 0) FROM events_webhookdelivery")
            deliveries = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM events_domainevent WHERE dispatched_at IS NULL")
            return hash((count, attempts, done, deliveries, cursor.fetchone()[0]))

    before = finished()
    for _ in range(max_rounds):
        drain_now()
        run_pending_jobs()
        after = finished()
        if after == before:
            return
        before = after
    raise AssertionError(f"the worker was still busy after {max_rounds} runs")


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for subprocesses."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    host = quote(s["HOST"] or "127.0.0.1", safe="")  # a Unix socket directory (the embedded server) is a path
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env() -> dict[str, str]:
    import os

    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "ultrabackend.settings.test"}


@pytest.fixture(autouse=True)
def _no_achievements(request: pytest.FixtureRequest) -> None:
    """These tests count the events an award records: achievements (which record
    ``achievement_unlocked``) are off unless a test is about them (tests/achievements)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from achievements.models import Achievement
    from core.selectors.achievements import achievement_catalogue

    request.getfixturevalue("_reference_data")
    Achievement.objects.update(is_active=False)
    achievement_catalogue.forget_catalogue()
