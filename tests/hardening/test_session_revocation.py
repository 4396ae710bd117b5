"""Issue 22, point 6: revocation wins over the Redis copy of a session, whatever the order of
outages: a logout while Redis is unreachable, or a session deleted or expired only in
PostgreSQL, signs nobody in from the copy Redis still holds (no xp/add either)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient

from tests.reliability.test_breaker import proxied_redis  # noqa: F401  (fixture)
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

PROFILE = "/api/v1/user/profile/"
ADD = "/api/v1/xp/add/"


def signed_in(settings: Any) -> tuple[APIClient, str]:
    settings.SESSION_ENGINE = "ultrabackend.sessions"
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(PlayerFactory())
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert client.get(PROFILE).status_code == 200
    return client, key


def cached_copy(key: str) -> Any:
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    return caches["default"].get(KEY_PREFIX + key)


@pytest.mark.parametrize("how", ["deleted", "expired"])
def test_a_session_gone_only_in_postgresql_does_not_sign_in_from_redis(redis_server, settings, how):
    client, key = signed_in(settings)
    assert cached_copy(key) is not None
    if how == "deleted":
        Session.objects.filter(session_key=key).delete()
    else:
        Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert cached_copy(key) is not None  # Redis still has it
    answer = client.get(PROFILE)
    assert answer.status_code == 401, answer.content
    assert client.post(ADD, {"activity": "pushups", "units": 1}, format="json").status_code in (401, 403)
    assert not XPEntry.objects.exists()
    assert cached_copy(key) is None  # the stale copy went with the refusal


def test_a_logout_while_redis_is_frozen_stays_a_logout_once_redis_is_back(proxied_redis, settings):  # noqa: F811
    client, key = signed_in(settings)
    assert cached_copy(key) is not None
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    proxied_redis.freeze()
    assert client.post("/api/v1/auth/logout/").status_code in (200, 204)
    proxied_redis.restore()
    time.sleep(0.35)  # the breaker of the proxied_redis fixture closes again
    assert cached_copy(key) is not None  # the stale copy (its removal job has not run)
    replay = APIClient()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get(PROFILE).status_code == 401
    for _ in range(3):
        assert replay.post(ADD, {"activity": "pushups", "units": 1}, format="json").status_code in (401, 403)
    assert not XPEntry.objects.exists()


def test_a_live_session_from_redis_still_signs_in_with_one_query(redis_server, settings, django_assert_num_queries):
    client, key = signed_in(settings)
    assert cached_copy(key) is not None
    with django_assert_num_queries(1):  # the user row, checked against the session row in the same query
        from django.test import RequestFactory

        from api.session_auth import session_user
        from ultrabackend.sessions import SessionStore

        request = RequestFactory().get(PROFILE)
        request.session = SessionStore(key)
        user = session_user(request)
        assert user.is_authenticated
