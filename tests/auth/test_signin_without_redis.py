"""Every part of sign-in works while Redis is unreachable (issue 9): the session store answers
from the database, used refresh tokens live in PostgreSQL, and a cached session copy that could
not be removed is removed by a queued job once Redis is back."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from apptokens.models import UsedRefreshToken
from ultrabackend import redis as r

ALICE = "80351110224678912"
DEAD = "redis://127.0.0.1:1/0"  # nothing listens: connection refused


@pytest.fixture
def redis_down(settings: Any) -> None:
    settings.REDIS_URL = DEAD
    settings.SESSION_ENGINE = "ultrabackend.sessions"
    settings.CACHES = {
        "default": {
            "BACKEND": "ultrabackend.cache.PooledRedisCache",
            "LOCATION": DEAD,
            "KEY_PREFIX": "igo-test-dead",
            "OPTIONS": {"socket_connect_timeout": 0.05, "socket_timeout": 0.05},
        }
    }
    r._BREAKERS.pop(DEAD, None)


@pytest.fixture
def alice(discord):  # type: ignore[no-untyped-def]
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    return discord


@pytest.mark.django_db
def test_browser_sign_in_start_callback_and_session_without_redis(redis_down, alice) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    start = client.get("/api/v1/auth/discord/", {"next": "/dashboard"})
    assert start.status_code == 302, start.content  # was a 500: creating the session asked Redis
    query = parse_qs(urlsplit(start["Location"]).query)
    code = alice.issue_code(ALICE, query["redirect_uri"][0])
    back = client.get("/api/v1/auth/discord/callback/", {"code": code, "state": query["state"][0]})
    assert back.status_code == 302 and back["Location"].endswith("/dashboard"), back["Location"]
    me = client.get("/api/v1/auth/session/")
    assert me.status_code == 200 and me.json()["user"]["discord_id"] == ALICE
    assert r.breaker_state(DEAD) == "open"  # Redis was tried once, then skipped


@pytest.mark.django_db
def test_app_sign_in_refresh_and_logout_without_redis(redis_down, alice) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    token = alice.issue_token(ALICE)
    pair = client.post("/api/v1/auth/discord/", {"access_token": token, "client": "app"}, format="json")
    assert pair.status_code == 200, pair.content
    fresh = client.post("/api/v1/auth/token/refresh/", {"refresh": pair.json()["refresh"]}, format="json")
    assert fresh.status_code == 200, fresh.content
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": pair.json()["refresh"]}, format="json")
    assert again.status_code == 401 and again.json()["code"] == "token_revoked"
    out = client.post("/api/v1/auth/logout/", {"refresh": fresh.json()["refresh"]}, format="json")
    assert out.status_code == 204
    after = client.post("/api/v1/auth/token/refresh/", {"refresh": fresh.json()["refresh"]}, format="json")
    assert after.status_code == 401 and after.json()["code"] == "token_revoked"
    assert UsedRefreshToken.objects.count() == 2


@pytest.mark.django_db
def test_a_logout_without_redis_revokes_in_the_database_and_queues_the_cache_removal(redis_down, alice) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    start = client.get("/api/v1/auth/discord/")
    query = parse_qs(urlsplit(start["Location"]).query)
    client.get(
        "/api/v1/auth/discord/callback/",
        {"code": alice.issue_code(ALICE, query["redirect_uri"][0]), "state": query["state"][0]},
    )
    session_key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=session_key).exists()
    csrf = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    client.credentials(HTTP_X_CSRFTOKEN=csrf)
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Session.objects.filter(session_key=session_key).exists()
    queued = ProcrastinateJob.objects.filter(task_name="core.tasks.forget_cached_session")
    assert any(job.args["cache_key"].endswith(session_key) for job in queued)
    assert client.get("/api/v1/auth/session/").status_code == 401
