"""A per-process circuit breaker for a PostgreSQL that stopped answering.

A request that ran into a timeout (``DB_QUERY_TIMEOUT`` on an open connection, or
``DB_CONNECT_TIMEOUT`` for a new one) opens this worker's breaker: for
``DB_BREAKER_RESET_SECONDS`` the requests that need a new connection are answered ``503
database_unavailable`` at once instead of each waiting out a timeout in turn (a hung database
would otherwise queue every client behind the worker's waits). Then one connection attempt goes
through (pybreaker's half-open state): if it connects, the breaker closes; if it times out again,
the breaker stays open another period.

Only timeouts open it: a refused or reset connection already fails at once, so a database that
restarts is used again on the first request after it is back. The state is this worker's own
view of PostgreSQL's health (like the Redis breaker, ultrabackend/redis.py), not request state, and
it only ever turns a wait into an earlier 503. Only requests go through it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import pybreaker
from django.conf import settings

from ultrabackend.postgresql.errors import TIMEOUT_ERRORS, DatabaseSkipped

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        log = logger.warning if new_state.name == pybreaker.STATE_OPEN else logger.info
        log("PostgreSQL breaker: %s -> %s", old_state.name if old_state else None, new_state.name)


@functools.cache
def database_breaker() -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=1,
        reset_timeout=settings.DATABASE_BREAKER_RESET_SECONDS,
        exclude=[lambda exc: not isinstance(exc, TIMEOUT_ERRORS)],
        listeners=[_LogListener()],
        name="postgresql",
        throw_new_error_on_trip=False,  # the tripping call raises its own error
    )


def connect_through_breaker(connect: Callable[[], T]) -> T:
    try:
        return database_breaker().call(connect)
    except pybreaker.CircuitBreakerError:
        raise DatabaseSkipped(
            f"PostgreSQL timed out in this worker less than {settings.DATABASE_BREAKER_RESET_SECONDS:g} s ago"
        ) from None


def record_timeout(exc: BaseException) -> None:
    """Count a timeout that happened outside a connection attempt (a statement's wait)."""
    with contextlib.suppress(Exception), database_breaker().calling():
        raise exc
