"""Shared fixtures: API clients, players, and the real PostgreSQL / Redis when configured."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from core.utils import redis as r
from users.tests.factories import PlayerFactory


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture
def postgres(db: None) -> None:
    """Skip, saying why, when the test database is not PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks, concurrent connections): set DATABASE_URL as .ci/run does")


@pytest.fixture
def redis_server() -> Iterator[object]:
    """The real Redis (test key prefix emptied before and after); skipped without REDIS_URL."""
    client = r.get_redis()
    if client is None:
        pytest.skip("needs Redis: set REDIS_URL as .ci/run does")
    _flush_test_keys(client)
    yield client
    _flush_test_keys(client)


@pytest.fixture(autouse=True)
def _isolated_redis_keys(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with an empty rank index and throttle state."""
    client = r.get_redis()
    if client is not None:
        try:
            _flush_test_keys(client)
        except r.REDIS_ERRORS:
            pass
    yield


def _flush_test_keys(client) -> None:  # type: ignore[no-untyped-def]
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "igo-test")
    worker = ""
    for key in client.scan_iter(match=f"{prefix}{worker}*", count=1000):
        client.delete(key)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def player(db: None):  # type: ignore[no-untyped-def]
    return PlayerFactory()


@pytest.fixture
def player_client(player) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(player)
    return client
