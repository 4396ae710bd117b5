"""The bound on a request's waits for PostgreSQL and the worker's breaker, in process
(ultrabackend/postgresql/bounded_wait.py, breaker.py). A second connection to the test database
goes through a FaultProxy: freeze = a server that holds every byte, cut = connection refused.
The same through gunicorn under load: tests/reliability/test_faults.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, connection

from tests.reliability.harness import FaultProxy
from ultrabackend.postgresql import bounded_wait, breaker
from ultrabackend.postgresql.base import DatabaseWrapper
from ultrabackend.postgresql.errors import DatabaseGivenUp, DatabaseSkipped, QueryWaitTimeout

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    db = connection.settings_dict
    fault_proxy = FaultProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    yield fault_proxy
    fault_proxy.close()
    _wait_for_proxied_sessions_to_end()


def _wait_for_proxied_sessions_to_end() -> None:
    """The server ends the sessions behind the closed proxy a moment later; wait for that (at
    most 2 s) so that the test database can be dropped at the end of the run."""
    with connection.cursor() as cursor:
        for _ in range(40):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            threading.Event().wait(0.05)


@pytest.fixture
def proxied(proxy: FaultProxy, settings: Any) -> Iterator[DatabaseWrapper]:
    """A Django connection to the test database through the proxy; a 0.3 s query bound, a 1 s
    connect timeout and a fresh breaker with a 0.5 s period."""
    settings.DATABASE_QUERY_TIMEOUT = 0.3
    settings.DATABASE_BREAKER_RESET_SECONDS = 0.5
    breaker.database_breaker.cache_clear()
    config = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": str(proxy.port)}
    config["OPTIONS"] = {**config["OPTIONS"], "connect_timeout": 1}
    wrapper = DatabaseWrapper(config, alias="through_fault_proxy")
    yield wrapper
    bounded_wait.lift_request_wait_limit()
    wrapper.close()
    breaker.database_breaker.cache_clear()


def _select_one(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
        return int(cursor.fetchone()[0])


def _cause(exc: BaseException) -> BaseException | None:
    return exc.__cause__ or exc.__context__


def test_request_signals_set_and_lift_the_bound(settings: Any) -> None:
    settings.DATABASE_QUERY_TIMEOUT = 4.0
    assert bounded_wait.REQUEST_WAIT_LIMIT.get() is None
    request_started.send(sender=None, environ={})
    assert bounded_wait.REQUEST_WAIT_LIMIT.get() == 4.0
    request_finished.send(sender=None)
    assert bounded_wait.REQUEST_WAIT_LIMIT.get() is None
    settings.DATABASE_QUERY_TIMEOUT = 0  # 0 turns the bound off
    request_started.send(sender=None, environ={})
    assert bounded_wait.REQUEST_WAIT_LIMIT.get() is None
    request_finished.send(sender=None)


def test_a_frozen_server_ends_the_wait_closes_the_connection_and_the_request_gives_up(
    proxied: DatabaseWrapper, proxy: FaultProxy
) -> None:
    bounded_wait.limit_request_waits()
    assert _select_one(proxied) == 1
    proxy.freeze()
    with pytest.raises(OperationalError) as raised:
        _select_one(proxied)
    assert isinstance(_cause(raised.value), QueryWaitTimeout)
    assert proxied.connection is not None and proxied.connection.closed  # protocol state unknown
    assert not proxied.is_usable()
    proxy.restore()
    # The rest of this request does not wait again: the closed connection fails at once, and
    # so does a new connection attempt.
    with pytest.raises(OperationalError):
        _select_one(proxied)
    proxied.close()
    with pytest.raises(OperationalError) as raised:
        _select_one(proxied)
    assert isinstance(_cause(raised.value), DatabaseGivenUp)


def test_the_timeout_opens_the_breaker_and_one_attempt_after_the_period_closes_it(
    proxied: DatabaseWrapper, proxy: FaultProxy
) -> None:
    bounded_wait.limit_request_waits()
    _select_one(proxied)
    proxy.freeze()
    with pytest.raises(OperationalError):
        _select_one(proxied)
    proxy.restore()
    proxied.close()
    bounded_wait.lift_request_wait_limit()

    # The next request in this worker needs a new connection: 503 at once while the breaker
    # is open, although the server answers again.
    bounded_wait.limit_request_waits()
    with pytest.raises(OperationalError) as raised:
        _select_one(proxied)
    assert isinstance(_cause(raised.value), DatabaseSkipped)
    bounded_wait.lift_request_wait_limit()
    assert breaker.database_breaker().current_state == "open"

    # After the period, one attempt goes through and closes the breaker.
    threading.Event().wait(0.6)
    bounded_wait.limit_request_waits()
    assert _select_one(proxied) == 1
    assert breaker.database_breaker().current_state == "closed"


def test_a_connect_timeout_opens_the_breaker_too(proxied: DatabaseWrapper, proxy: FaultProxy) -> None:
    proxy.freeze()  # accepts, then answers nothing: the connect timeout (1 s here) runs out
    bounded_wait.limit_request_waits()
    with pytest.raises(OperationalError):
        _select_one(proxied)
    bounded_wait.lift_request_wait_limit()
    assert breaker.database_breaker().current_state == "open"


def test_a_refused_connection_does_not_open_the_breaker(proxied: DatabaseWrapper, proxy: FaultProxy) -> None:
    """A database that restarts is used again on the first request after it is back."""
    proxy.cut()
    bounded_wait.limit_request_waits()
    with pytest.raises(OperationalError) as raised:
        _select_one(proxied)
    assert not isinstance(_cause(raised.value), DatabaseSkipped)
    bounded_wait.lift_request_wait_limit()
    assert breaker.database_breaker().current_state == "closed"
    proxy.restore()
    bounded_wait.limit_request_waits()
    assert _select_one(proxied) == 1


def test_outside_a_request_the_wait_is_not_bounded(proxied: DatabaseWrapper, proxy: FaultProxy) -> None:
    """Migrations, management commands and the worker wait as long as PostgreSQL needs."""
    _select_one(proxied)
    proxy.freeze()
    thaw = threading.Timer(1.0, proxy.restore)  # three times the request bound
    thaw.start()
    try:
        assert _select_one(proxied) == 1
    finally:
        thaw.join()
    assert breaker.database_breaker().current_state == "closed"
