"""A session copy left in Redis by a logout that could not reach it is removed by the queued job
once Redis answers again (otherwise the logged-out session would come back with Redis)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from procrastinate.contrib.django.models import ProcrastinateJob

from tests.jobs import run_pending_jobs
from tests.reliability.test_breaker import proxied_redis  # noqa: F401  (fixture)
from ultrabackend.sessions import SessionStore

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def test_the_stale_copy_goes_when_redis_is_back(proxied_redis, settings: Any) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import time

    settings.SESSION_ENGINE = "ultrabackend.sessions"
    store = SessionStore()
    store["who"] = "alice"
    store.save(must_create=True)
    cache_key = store.cache_key
    assert caches["default"].get(cache_key) == {"who": "alice"}
    proxied_redis.cut()
    store.delete()  # logout while Redis is unreachable
    assert not Session.objects.filter(session_key=store.session_key).exists()
    proxied_redis.restore()
    time.sleep(0.35)  # the breaker period of the proxied_redis fixture
    assert caches["default"].get(cache_key) == {"who": "alice"}  # the stale copy
    run_pending_jobs()
    assert caches["default"].get(cache_key) is None
    assert SessionStore(store.session_key).load() == {}
    jobs = ProcrastinateJob.objects.filter(task_name="core.tasks.forget_cached_session")
    assert [job.status for job in jobs if job.args == {"cache_key": cache_key}] == ["succeeded"]
