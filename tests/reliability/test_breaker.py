"""The Redis circuit breaker, in process: one failure or timeout and Redis is skipped for
REDIS_BREAKER_RESET_SECONDS by every Redis use (cache, sessions, throttles, rank index); then a
single call tries again. Redis is reached through a FaultProxy (cut = refused, freeze = hung)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from django.core.cache import caches
from rest_framework.test import APIClient

from tests.reliability.harness import FaultProxy
from ultrabackend import redis as r

pytestmark = pytest.mark.redis


@pytest.fixture
def proxied_redis(redis_server: Any, settings: Any) -> Iterator[FaultProxy]:
    """REDIS_URL and the cache go through a proxy; short timeouts; a short breaker period."""
    url = urlsplit(settings.REDIS_URL)
    proxy = FaultProxy((url.hostname or "127.0.0.1", url.port or 6379))
    proxied = f"redis://127.0.0.1:{proxy.port}{url.path or '/0'}"
    settings.REDIS_CONNECT_TIMEOUT = settings.REDIS_SOCKET_TIMEOUT = 0.05
    settings.REDIS_BREAKER_RESET_SECONDS = 0.3
    settings.REDIS_URL = proxied
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": proxied,
            "OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05},
        },
    }
    r._BREAKERS.pop(proxied, None)  # a fresh breaker with this test's settings
    yield proxy
    proxy.close()
    r._BREAKERS.pop(proxied, None)


def test_a_timeout_opens_the_breaker_and_later_calls_skip_redis_at_once(proxied_redis: FaultProxy) -> None:
    client = r.get_redis()
    assert client is not None and client.ping()
    proxied_redis.freeze()
    with pytest.raises(redis.TimeoutError):
        client.get("x")  # waits one socket timeout (50 ms), not redis-py's 10 retries
    assert r.breaker_state() == "open"
    # Every later use fails at once without touching the network: the cache (same breaker) and
    # pipelines too.
    with pytest.raises(r.RedisSkipped):
        client.get("x")
    with pytest.raises(r.RedisSkipped):
        client.pipeline(transaction=False).incr("y").execute()
    with pytest.raises(r.RedisSkipped):
        caches["default"].get("z")
    assert r.redis_status() == "degraded"


def test_after_the_period_one_call_tries_again_and_closes_the_breaker(proxied_redis: FaultProxy) -> None:
    import time

    client = r.get_redis()
    assert client is not None
    proxied_redis.cut()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert r.breaker_state() == "open"
    proxied_redis.restore()
    with pytest.raises(r.RedisSkipped):
        client.ping()  # still within the period: skipped although Redis is back
    time.sleep(0.35)
    assert client.ping()
    assert r.breaker_state() == "closed"
    assert r.redis_status() == "ok"


def test_script_errors_do_not_open_the_breaker(proxied_redis: FaultProxy) -> None:
    client = r.get_redis()
    assert client is not None
    client.set(r.key("t", "str"), "a")
    with pytest.raises(redis.ResponseError):
        client.lpush(r.key("t", "str"), 1)  # WRONGTYPE: Redis is fine, the call was wrong
    assert r.breaker_state() == "closed"


@pytest.mark.django_db(transaction=True)
def test_xp_add_profile_and_boards_answer_from_postgres_while_redis_hangs(proxied_redis: FaultProxy, player) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(player)  # the session is written through to the database
    assert client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 5}, format="json").status_code == 201
    proxied_redis.freeze()
    for units in (1, 2, 3):
        added = client.post("/api/v1/xp/add/", {"activity": "pushups", "units": units}, format="json")
        assert added.status_code == 201, added.content
    assert added.json()["profile"]["season"]["reality"]["rank"] == 1
    assert client.get("/api/v1/user/profile/").json()["xp"]["total"] == 110
    board = client.get("/api/v1/seasons/reality/").json()
    assert board["results"][0]["xp"] == 110 and board["me"]["rank"] == 1
    assert r.breaker_state() == "open"
