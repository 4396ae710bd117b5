"""Optional Sentry (SENTRY_DSN): unset, sentry_sdk is not even imported; set, an exception in a
view and a job that failed for good reach Sentry (a stand-in over real HTTP) with the request id,
and the view's answer is still the JSON error."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from procrastinate.contrib.django import app

from tests.jobs import run_pending_jobs
from ultrabackend.observability.errors import init_sentry

ROOT = Path(__file__).resolve().parents[2]


@app.task(name="tests.ops.explode", queue="tests-sentry")
def explode() -> None:
    raise RuntimeError("a job went wrong")


class StandInSentry:
    """Records the events of the envelopes POSTed to /api/<project>/envelope/."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                outer.paths.append(self.path)
                lines = raw.split(b"\n")
                # envelope header, then (item header, item payload) pairs
                for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                    if json.loads(header).get("type") == "event":
                        outer.events.append(json.loads(payload))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_address[1]}/42"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for_event(self, message: str, timeout: float = 10.0) -> dict[str, Any]:
        import sentry_sdk

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sentry_sdk.flush(timeout=1)
            for event in self.events:
                if message in json.dumps(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no event with {message!r}: {self.events}")


@pytest.fixture
def sentry() -> Iterator[StandInSentry]:
    sdk = pytest.importorskip("sentry_sdk", reason="sentry-sdk (requirements.txt) is not installed")
    stand_in = StandInSentry()
    init_sentry(stand_in.dsn, environment="test")
    yield stand_in
    sdk.get_client().close(timeout=1)
    sdk.init()  # no DSN: nothing is sent any more
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.mark.urls("tests.ops.sentry_urls")
@pytest.mark.django_db
def test_an_exception_in_a_view_reaches_sentry_and_the_answer_stays_json(sentry):
    answer = Client(raise_request_exception=False).get("/test-only/explode/", HTTP_X_REQUEST_ID="sentry-req-1")
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "server_error"
    assert answer["X-Request-ID"] == "sentry-req-1"

    event = sentry.wait_for_event("a view went wrong")
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "a view went wrong")
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert event["environment"] == "test"
    assert event["transaction"] == "/test-only/explode/"
    assert not event.get("user")  # no personal data (no user, no IP address)
    assert sentry.paths == ["/api/42/envelope/"] * len(sentry.paths)


@pytest.mark.django_db(transaction=True)
def test_a_job_that_failed_for_good_reaches_sentry(sentry):
    explode.defer()
    run_pending_jobs(queues=["tests-sentry"])
    event = sentry.wait_for_event("a job went wrong")
    assert event["level"] == "error"
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert event["logger"] == "procrastinate.worker"


def test_without_a_dsn_sentry_sdk_is_not_imported():
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    env["DJANGO_SETTINGS_MODULE"] = "ultrabackend.settings.test"
    script = "import sys, django; django.setup(); print('sentry_sdk' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
    pytest.importorskip("sentry_sdk", reason="sentry-sdk (requirements.txt) is not installed")
    env["SENTRY_DSN"] = "http://publickey@127.0.0.1:9/1"
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "True"  # the same check sees it when the DSN is set
