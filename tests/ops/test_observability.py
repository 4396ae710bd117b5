"""What an operator sees: /metrics behind METRICS_TOKEN, readiness, request ids in answers and
in the log lines of the webhooks a request causes."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.services.events import domain_events
from tests.events.conftest import drain
from ultrabackend.observability.logs import JsonFormatter, RequestIdFilter
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every log line (INFO and up) as the production formatter writes it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    answer = client.get("/metrics", **extra)
    assert answer.status_code == 401
    assert answer.json()["code"] == "metrics_token_invalid"
    assert b"igo_" not in answer.content


@pytest.mark.django_db(transaction=True)
def test_metrics_carry_the_named_series(client, metrics_token, receiver, endpoint):
    hook = endpoint("level_up")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    domain_events.insert_jobs([("webhooks", "events.deliver_webhook", None, 0, {"delivery_id": 0})])
    assert client.get("/api/v1/health/").status_code == 200
    time.sleep(0.05)

    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    text = answer.content.decode()
    samples = {
        line.split(" ")[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and line[0] != "#"
    }
    assert samples['igo_http_requests_total{method="GET",route="api/v1/health/",status="200"}'] >= 1
    assert samples['igo_http_request_duration_seconds_count{method="GET",route="api/v1/health/"}'] >= 1
    assert 'igo_http_request_duration_seconds_bucket{le="0.005",method="GET",route="api/v1/health/"}' in samples
    assert samples['igo_queue_jobs{queue="webhooks",status="todo"}'] == 1
    assert samples['igo_queue_oldest_ready_age_seconds{queue="webhooks"}'] > 0
    assert samples["igo_database_up"] == 1
    assert samples["igo_redis_up"] == 1
    assert samples['igo_breaker_state{breaker="postgresql"}'] == 0
    assert samples[f'igo_webhook_endpoint_up{{endpoint="{hook.pk}"}}'] == 1
    assert samples[f'igo_webhook_deliveries_pending{{endpoint="{hook.pk}"}}'] == 0
    assert samples[f'igo_webhook_endpoint_failing_seconds{{endpoint="{hook.pk}"}}'] == 0
    assert samples['igo_database_connections{state="active"}'] >= 1
    assert "igo_domain_events_undispatched" in samples
    for name in ("igo_webhook_deliveries_total", "igo_discord_requests_total", "igo_worker_restarts_total"):
        assert f"# TYPE {name} counter" in text


@pytest.mark.django_db(transaction=True)
def test_deliveries_are_counted_by_outcome(client, metrics_token, receiver, endpoint):
    endpoint("level_up")
    ActivityTypeFactory(key="ops_run", mode="reality")
    player = PlayerFactory()
    api = APIClient()
    api.force_login(player)

    def delivered() -> float:
        text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
        found = [
            line for line in text.splitlines() if line.startswith('igo_webhook_deliveries_total{outcome="delivered"}')
        ]
        return float(found[0].rsplit(" ", 1)[1]) if found else 0.0

    before = delivered()
    assert api.post("/api/v1/xp/add/", {"activity": "ops_run", "units": 300}, format="json").status_code == 201
    drain()
    assert delivered() == before + 1


@pytest.mark.django_db
def test_request_id_is_echoed_or_made(client):
    given = client.get("/api/v1/health/", HTTP_X_REQUEST_ID="trace-abc.123")
    assert given["X-Request-ID"] == "trace-abc.123"
    made = client.get("/api/v1/health/")
    assert len(made["X-Request-ID"]) == 32
    bad = client.get("/api/v1/health/", HTTP_X_REQUEST_ID="has spaces and\ttabs")
    assert bad["X-Request-ID"] != "has spaces and\ttabs" and len(bad["X-Request-ID"]) == 32
    assert client.get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="r404")["X-Request-ID"] == "r404"


@pytest.mark.django_db(transaction=True)
def test_a_request_id_travels_from_the_request_into_the_webhook_log_line(receiver, endpoint, json_log):
    endpoint("level_up")
    ActivityTypeFactory(key="ops_run", mode="reality")
    player = PlayerFactory()
    api = APIClient()
    api.force_login(player)

    answer = api.post(
        "/api/v1/xp/add/", {"activity": "ops_run", "units": 300}, format="json", HTTP_X_REQUEST_ID="req-level-up-42"
    )
    assert answer.status_code == 201
    assert answer["X-Request-ID"] == "req-level-up-42"
    drain()
    assert len(receiver.delivered()) == 1

    delivered = [line for line in lines(json_log) if line["logger"] == "core.services.events.webhooks"]
    assert len(delivered) == 1, lines(json_log)
    [line] = delivered
    assert line["request_id"] == "req-level-up-42"
    assert line["outcome"] == "delivered"
    assert line["webhook_id"].startswith("msg_")
    assert line["level"] == "info" and line["ts"].endswith("Z")


@pytest.mark.django_db(transaction=True)
def test_ready_reports_database_redis_and_queue(client, settings):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    answer = client.get("/api/v1/health/ready/")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "ready"
    assert (body["database"], body["redis"]) == ("ok", "ok")
    assert body["queue"]["status"] == "ok" and body["queue"]["ready_jobs"] == 0

    settings.READY_MAX_QUEUE_AGE_SECONDS = 0
    domain_events.insert_jobs([("events", "events.dispatch", None, 0, {"user_id": None})])
    time.sleep(0.05)
    stalled = client.get("/api/v1/health/ready/")
    assert stalled.status_code == 503
    assert stalled.json()["status"] == "not_ready"
    assert stalled.json()["queue"]["status"] == "stalled"
    assert stalled.json()["queue"]["ready_jobs"] == 1
    assert stalled.json()["queue"]["oldest_ready_age_seconds"] > 0
    assert stalled["Retry-After"]


@pytest.mark.django_db
def test_the_documented_metrics_are_the_exported_ones(client, metrics_token):
    """docs/operations.md's tables name every igo_ series /metrics exports, and no other."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\| `(igo_[a-z_]+)`", docs, re.MULTILINE))
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    exported = set(re.findall(r"^# TYPE (igo_[a-z_]+) ", text, re.MULTILINE))
    assert documented == exported
    assert {"igo_discord_messages_total", "igo_discord_messages_pending", "igo_discord_paused_routes"} <= exported


@pytest.mark.django_db(transaction=True)
def test_a_request_id_travels_from_the_request_into_the_discord_announcement_log_line(discord, json_log, settings):
    from community.models import AnnouncementChannel, DiscordMessage, GuildMember
    from tests.jobs import run_pending_jobs

    settings.DOMAIN_EVENT_CONSUMERS = ["community.events.handle_event"]
    ActivityTypeFactory(key="ops_run", mode="reality")
    player = PlayerFactory(discord_id="111111111111111111")
    GuildMember.objects.create(guild_id="300000000000000001", user=player)
    AnnouncementChannel.objects.create(guild_id="300000000000000001", channel_id="400000000000000001")
    api = APIClient()
    api.force_login(player)
    answer = api.post(
        "/api/v1/xp/add/", {"activity": "ops_run", "units": 300}, format="json", HTTP_X_REQUEST_ID="req-discord-7"
    )
    assert answer.status_code == 201 and answer.json()["level_up"] is not None
    run_pending_jobs()  # fan-out, the consumer job, the Discord pump
    assert DiscordMessage.objects.get().status == "sent"
    [line] = [line for line in lines(json_log) if line["logger"] == "community.discord_pump"]
    assert line["request_id"] == "req-discord-7"
    assert (line["outcome"], line["kind"], line["status_code"]) == ("sent", "announcement", 200)


@pytest.mark.django_db
def test_an_unusual_method_is_counted_as_other(client, metrics_token):
    client.generic("FROBNICATE", "/api/v1/health/")
    client.generic("FROBNICATE2", "/api/v1/health/")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "FROBNICATE" not in text
    assert 'igo_http_requests_total{method="other",route="api/v1/health/"' in text
