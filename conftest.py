"""Shared fixtures: API clients, players, and the real Redis when configured."""

import contextlib
import importlib
from collections.abc import Iterator

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from ultrabackend import redis as r
from users.tests.factories import PlayerFactory

# Data migrations whose rows every database has (each module's ``install(apps, schema_editor)``).
REFERENCE_DATA_MIGRATIONS = (
    "xp.migrations.0002_default_catalogue_and_levels",
    "xp.migrations.0006_system_activities",
    "achievements.migrations.0002_default_achievements",
    "xp.migrations.0008_activity_review_above",
)
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Transactional tests empty every table when they end; put back what the data migrations
    install on every real database (the activity catalogue and the level table)."""
    if request.node.get_closest_marker("django_db") is None and not DB_FIXTURES & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from xp.models import Level

    if not Level.objects.exists():
        for name in REFERENCE_DATA_MIGRATIONS:
            importlib.import_module(name).install(apps, None)


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    """Every test starts as a new worker process would: the hot path remembers no session owner
    and no activity catalogue (a test database's rows come back with new ids)."""
    from api import session_players
    from core.selectors.achievements import achievement_catalogue
    from core.selectors.xp import activity_catalogue

    session_players.forget_all()
    activity_catalogue.forget_catalogue()
    achievement_catalogue.forget_catalogue()


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
    """Every test starts with an empty rank index and throttle state.

    A test inside a never-committed transaction (plain ``django_db``) never runs on-commit
    callbacks, so the rank index would not follow its writes: such tests read ranks from the
    database. Tests of the index itself are transactional (``django_db(transaction=True)``) and use ``redis_server``.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    r.reset_breakers()  # a Redis failure in an earlier test does not skip Redis in this one
    client = r.get_redis()
    if client is not None:
        with contextlib.suppress(*r.REDIS_ERRORS):
            _flush_test_keys(client)
    if not transactional and "redis_server" not in request.fixturenames:
        request.getfixturevalue("settings").REDIS_URL = ""
    yield


def _flush_test_keys(client) -> None:  # type: ignore[no-untyped-def]
    prefix = settings.CACHES["default"]["KEY_PREFIX"]  # one per xdist worker (settings/test.py)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
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
