"""The fault suite: the real server (gunicorn, 2 sync workers, production settings) while
PostgreSQL is cut or frozen and Redis is cut or frozen (tests/reliability/harness.py).

Figures (requests, 5xx, p99 per phase) are printed; speed is never asserted beyond "every request
was answered within the client timeout". Run alone with ``pytest -m faults -s``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import caches

from tests.jobs import run_pending_jobs
from tests.reliability import harness
from tests.reliability.conftest import Faults, assert_totals_equal_ledger
from users.models import ServiceAPIKey
from xp.models import XPEntry

pytestmark = [pytest.mark.faults, pytest.mark.redis]

PLAYERS = [str(80351110224678900 + n) for n in range(12)]
CLIENT_TIMEOUT = 20.0  # seconds: the generous sanity bound
FROZEN_CLIENT_TIMEOUT = 10.0  # a third of gunicorn's worker timeout: the query bound answers first


def _xp_sender(faults: Faults, raw_key: str) -> Any:
    def send(key: str) -> tuple[int, dict[str, str], Any]:
        n = int(key.split("-")[2])
        activity = "pushups" if n % 2 else "coding"
        return faults.post(
            "/api/v1/xp/add/",
            {"activity": activity, "units": 1, "discord_id": PLAYERS[hash(key) % len(PLAYERS)]},
            headers={"Authorization": f"Api-Key {raw_key}", "Idempotency-Key": key},
            timeout=CLIENT_TIMEOUT,
        )

    return send


def _retry_until_accepted(faults: Faults, raw_key: str, samples: list[harness.Sample]) -> set[str]:
    """Send every request that was not answered 201 again with its Idempotency-Key (what a bot
    does after a 503); returns the keys now accepted."""
    sender = _xp_sender(faults, raw_key)
    accepted = {s.key for s in samples if s.status == 201}
    for sample in samples:
        if sample.status != 201 and sample.key not in accepted:
            status, _, body = sender(sample.key)
            assert status == 201, (status, body)
            accepted.add(sample.key)
    return accepted


def _assert_only_503(samples: list[harness.Sample]) -> None:
    for s in samples:
        assert s.status != 0, "a request got no answer within the client timeout"
        assert s.status in (201, 503), (s.status, s.code)
        if s.status == 503:
            assert s.code == "database_unavailable" and s.retry_after and s.retry_after.isdigit(), s


def _assert_probes_answer_503(faults: Faults, probes: dict[str, dict[str, str] | None], timeout: float) -> None:
    for path, headers in probes.items():
        status, response_headers, body = faults.get(path, headers=headers, timeout=timeout)
        assert status == 503, (path, status, body)
        assert response_headers.get("retry-after", "").isdigit(), path
        if path != "/api/v1/health/":
            assert body["code"] == "database_unavailable", (path, body)


def _restore_postgres_and_stop(faults: Faults, load: harness.Load) -> tuple[list[harness.Sample], float, float]:
    restored_at = time.monotonic()
    faults.postgres.restore()
    time.sleep(6)
    samples = load.stop()
    return samples, restored_at, time.monotonic()


def _print_phases(samples: list[harness.Sample], fault: str, start: float, restored: float, end: float) -> None:
    for name, since, until in (("up", 0.0, start), (fault, start, restored), ("restored", restored, end)):
        print(harness.summary(f"postgres {name}", harness.between(samples, since, until)))


def _assert_recovered_and_each_key_counted_once(
    faults: Faults, raw_key: str, samples: list[harness.Sample], restored_at: float, end: float
) -> None:
    # Recovery by itself: once the database is back (a connect and a health check later), every
    # request is accepted again.
    settled = harness.between(samples, restored_at + 3, end)
    assert settled and all(s.status == 201 for s in settled), harness.summary("settled", settled)
    accepted = _retry_until_accepted(faults, raw_key, samples)
    # One entry per accepted key, none for a refused one that was retried (no double counting:
    # a write answered 503 may still have reached PostgreSQL), and totals equal the ledger.
    assert XPEntry.objects.filter(idempotency_key__in=accepted).count() == len(accepted)
    assert XPEntry.objects.count() == len(accepted)
    assert assert_totals_equal_ledger() == len(accepted)


def test_postgres_cut_under_load_answers_503_and_recovers(faults: Faults) -> None:
    _, raw_key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    load = harness.Load(_xp_sender(faults, raw_key), threads=4, max_seconds=90).start()
    time.sleep(3)
    cut_at = time.monotonic()
    faults.postgres.cut()
    time.sleep(1)
    # Every kind of endpoint while the database is gone: DRF views, the Discord callback, the
    # admin, the docs. Never a 500; where the database is needed, 503 with Retry-After.
    probes = {
        "/api/v1/seasons/reality/": None,
        f"/api/v1/users/discord/{PLAYERS[0]}/profile/": {"Authorization": f"Api-Key {raw_key}"},
        "/api/v1/activities/": None,
        "/api/v1/events/": None,
        "/api/v1/auth/discord/callback/?code=x&state=y": {"Cookie": f"sessionid={'s' * 32}"},
        "/admin/login/": {"Cookie": f"sessionid={'s' * 32}"},
        "/admin/": {"Cookie": f"sessionid={'s' * 32}"},
        "/api/v1/health/": None,
    }
    _assert_probes_answer_503(faults, probes, CLIENT_TIMEOUT)
    status, _, _ = faults.get("/api/v1/schema/", timeout=CLIENT_TIMEOUT)
    assert status in (200, 503)
    time.sleep(3)
    samples, restored_at, end = _restore_postgres_and_stop(faults, load)

    _print_phases(samples, "cut", cut_at, restored_at, end)
    _assert_only_503(samples)
    before = harness.between(samples, 0, cut_at)
    done_before = [s for s in before if s.started + s.seconds < cut_at]  # not in flight at the cut
    assert done_before and all(s.status == 201 for s in done_before)
    assert any(s.status == 503 for s in harness.between(samples, cut_at, restored_at)), "the cut was not noticed"
    _assert_recovered_and_each_key_counted_once(faults, raw_key, samples, restored_at, end)


def test_postgres_frozen_under_load_answers_503_within_the_query_bound(faults: Faults) -> None:
    """PostgreSQL stops answering on the connections already open (and accepts new ones that
    then hear nothing): every request still gets an answer, a 503 once DB_QUERY_TIMEOUT (2 s
    here) or DB_CONNECT_TIMEOUT ran out, long before gunicorn's 30 s worker timeout."""
    _, raw_key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    load = harness.Load(_xp_sender(faults, raw_key), threads=4, max_seconds=90).start()
    time.sleep(3)
    frozen_at = time.monotonic()
    faults.postgres.freeze()
    time.sleep(0.5)
    probes = dict.fromkeys(("/api/v1/seasons/reality/", "/api/v1/activities/", "/api/v1/health/"))
    _assert_probes_answer_503(faults, probes, FROZEN_CLIENT_TIMEOUT)
    time.sleep(6)
    samples, restored_at, end = _restore_postgres_and_stop(faults, load)

    _print_phases(samples, "frozen", frozen_at, restored_at, end)
    _assert_only_503(samples)
    during = harness.between(samples, frozen_at, restored_at)
    assert during and any(s.status == 503 for s in during), "the freeze was not noticed"
    assert max(s.seconds for s in samples) < FROZEN_CLIENT_TIMEOUT
    _assert_recovered_and_each_key_counted_once(faults, raw_key, samples, restored_at, end)


def test_redis_frozen_xp_add_keeps_answering(faults: Faults) -> None:
    _, raw_key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    load = harness.Load(_xp_sender(faults, raw_key), threads=4, max_seconds=90).start()
    time.sleep(4)
    frozen_at = time.monotonic()
    faults.redis.freeze()
    time.sleep(1)
    # Reads that use Redis when it answers keep answering from PostgreSQL.
    status, _, board = faults.get("/api/v1/seasons/reality/", timeout=CLIENT_TIMEOUT)
    assert status == 200 and board["results"], board
    status, _, profile = faults.get(
        f"/api/v1/users/discord/{PLAYERS[1]}/profile/",
        headers={"Authorization": f"Api-Key {raw_key}"},
        timeout=CLIENT_TIMEOUT,
    )
    assert status == 200, profile
    status, _, health = faults.get("/api/v1/health/", timeout=CLIENT_TIMEOUT)
    assert status == 200 and health["redis"] == "degraded", health
    time.sleep(6)
    restored_at = time.monotonic()
    faults.redis.restore()
    time.sleep(5)
    samples = load.stop()
    end = time.monotonic()

    before = harness.between(samples, 0, frozen_at)
    during = harness.between(samples, frozen_at, restored_at)
    after = harness.between(samples, restored_at, end)
    for line in (
        harness.summary("redis up", before),
        harness.summary("redis frozen", during),
        harness.summary("redis restored", after),
    ):
        print(line)
    assert during, "no request was sent while Redis was frozen"
    for s in samples:
        assert s.status == 201, (s.status, s.code)  # answered, within the client timeout
    status, _, health = faults.get("/api/v1/health/", timeout=CLIENT_TIMEOUT)
    assert status == 200 and health["redis"] == "ok", health
    assert assert_totals_equal_ledger() == len(samples)


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("set-cookie", "").replace(", ", "\n").splitlines():
        for item in part.split(";"):
            key, _, value = item.strip().partition("=")
            if key == name and value:
                return value
    return None


def test_sign_in_refresh_and_logout_with_redis_unreachable(faults: Faults) -> None:
    faults.discord.add_user("80351110224678912", "alice", global_name="Alice")
    faults.discord.current_user = "80351110224678912"
    faults.redis.cut()

    # Browser flow: start, Discord's consent (the stand-in consents), callback, signed in.
    status, headers, body = faults.get("/api/v1/auth/discord/?next=/dashboard")
    assert status == 302, body
    pending = _cookie(headers, "sessionid")
    assert pending
    consent = requests.get(headers["location"], allow_redirects=False, timeout=10, verify=str(faults.cert))
    assert consent.status_code == 302
    callback = urlsplit(consent.headers["Location"])
    status, headers, body = faults.get(f"{callback.path}?{callback.query}", headers={"Cookie": f"sessionid={pending}"})
    assert status == 302 and headers["location"] == "https://app.example.test/dashboard", (headers, body)
    assert "auth_error" not in parse_qs(urlsplit(headers["location"]).query)
    session = _cookie(headers, "sessionid")
    assert session and session != pending
    status, _, me = faults.get("/api/v1/auth/session/", headers={"Cookie": f"sessionid={session}"})
    assert status == 200 and me["user"]["discord_id"] == "80351110224678912", me

    # App flow: a Discord token for this app, then refresh (once only) and logout.
    token = faults.discord.issue_token("80351110224678912")
    status, _, pair = faults.post("/api/v1/auth/discord/", {"access_token": token, "client": "app"})
    assert status == 200 and pair["method"] == "token", pair
    status, _, again = faults.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert status == 200 and again["refresh"] != pair["refresh"], again
    status, _, reused = faults.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert status == 401 and reused["code"] == "token_revoked", reused
    status, _, _ = faults.post("/api/v1/auth/logout/", {"refresh": again["refresh"]})
    assert status == 204
    status, _, reused = faults.post("/api/v1/auth/token/refresh/", {"refresh": again["refresh"]})
    assert status == 401 and reused["code"] == "token_revoked", reused
    status, _, profile = faults.get("/api/v1/user/profile/", headers={"Authorization": f"Bearer {again['access']}"})
    assert status == 200, profile

    # A browser session cached in Redis, then a logout while Redis is unreachable: the database
    # row goes at once, and the queued job removes the cached copy once Redis is back.
    faults.redis.restore()
    time.sleep(2.5)  # the breaker lets a call through again (REDIS_BREAKER_RESET_SECONDS=2)
    for _ in range(2):  # each worker reads it once: now cached in Redis
        status, _, _ = faults.get("/api/v1/auth/session/", headers={"Cookie": f"sessionid={session}"})
        assert status == 200
    csrf_status, csrf_headers, csrf = faults.get("/api/v1/auth/csrf/", headers={"Cookie": f"sessionid={session}"})
    assert csrf_status == 200
    csrf_cookie = _cookie(csrf_headers, "csrftoken")
    faults.redis.cut()
    status, _, body = faults.post(
        "/api/v1/auth/logout/",
        {},
        headers={
            "Cookie": f"sessionid={session}; csrftoken={csrf_cookie}",
            "X-CSRFToken": csrf["csrf_token"],
            "Origin": "https://app.example.test",
            "Referer": "https://app.example.test/",
        },
    )
    assert status == 204, body
    faults.redis.restore()
    # the copy the logout could not remove (the test process reads the real Redis directly)
    assert caches["default"].get(KEY_PREFIX + session) is not None
    run_pending_jobs()
    assert caches["default"].get(KEY_PREFIX + session) is None
    time.sleep(2.5)
    for _ in range(2):
        status, _, body = faults.get("/api/v1/auth/session/", headers={"Cookie": f"sessionid={session}"})
        assert status == 401, body
    assert assert_totals_equal_ledger() == 0
