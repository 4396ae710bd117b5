"""A bound on how long an HTTP request waits for PostgreSQL to answer.

``DB_CONNECT_TIMEOUT`` bounds a new connection. A server that stops answering on a connection
already open (a stuck failover, a frozen host, a network path that holds the bytes) would hold
the request, and the gunicorn worker with it, until gunicorn kills the worker after ``--timeout``:
the client gets no answer at all. Here every wait of a request's database connection (a
statement, its results, a commit or rollback) is given at most ``DB_QUERY_TIMEOUT`` seconds
(psycopg's own wait timeout). When it runs out, the connection is closed at once (its protocol
state is unknown; every later use in the request fails without waiting) and the wait raises
``QueryWaitTimeout``, an ``OperationalError``: the request is the usual ``503
database_unavailable`` with ``Retry-After`` (api/outage.py), and the next request opens a new
connection.

A request gives PostgreSQL one chance: after a wait or a connection attempt failed, the rest
of the request (the session middleware, the error handler) does not connect again; it fails at
once, so a request waits at most one bound, not one per database use. A timeout also opens the
worker's breaker (breaker.py): the next requests are answered 503 at once for a moment instead
of each waiting out its own timeout.

Only requests are bounded (``request_started`` sets the limit, ``request_finished`` lifts it):
migrations, management commands and the task worker keep waiting as long as PostgreSQL needs.
As with a connection cut while committing, a write whose answer did not arrive in time may have
been recorded; retries with the same ``Idempotency-Key`` answer it once (docs/reliability.md).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from psycopg import errors

from ultrabackend.postgresql.breaker import connect_through_breaker, record_timeout
from ultrabackend.postgresql.errors import DatabaseGivenUp, QueryWaitTimeout

T = TypeVar("T")

REQUEST_WAIT_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_wait_limit", default=None)
REQUEST_GAVE_UP_ON_DATABASE: contextvars.ContextVar[bool] = contextvars.ContextVar("request_gave_up", default=False)


class BoundedConnection(psycopg.Connection):  # type: ignore[type-arg]
    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = REQUEST_WAIT_LIMIT.get() if timeout is None else None
        if limit is None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, limit)
        except errors._WaitTimeout:
            self.pgconn.finish()
            REQUEST_GAVE_UP_ON_DATABASE.set(True)
            timeout_error = QueryWaitTimeout(f"PostgreSQL did not answer within {limit:g} seconds")
            record_timeout(timeout_error)
            raise timeout_error from None


class BoundedPsycopg:
    """What Django's backend uses as its driver module (``DatabaseWrapper.Database``): psycopg,
    with connections opened as ``BoundedConnection``."""

    connect = staticmethod(BoundedConnection.connect)

    def __getattr__(self, name: str) -> Any:
        return getattr(psycopg, name)


def connect_within_bounds(connect: Callable[[], T]) -> T:
    """Open a connection for a request unless it already failed to reach PostgreSQL, through
    the worker's breaker (breaker.py); a failed attempt marks the request. Outside requests
    every attempt goes ahead."""
    if REQUEST_WAIT_LIMIT.get() is None:
        return connect()
    if REQUEST_GAVE_UP_ON_DATABASE.get():
        raise DatabaseGivenUp("PostgreSQL did not answer earlier in this request")
    try:
        return connect_through_breaker(connect)
    except psycopg.OperationalError:
        REQUEST_GAVE_UP_ON_DATABASE.set(True)
        raise


def limit_request_waits(**_: Any) -> None:
    limit = settings.DATABASE_QUERY_TIMEOUT
    REQUEST_WAIT_LIMIT.set(limit if limit > 0 else None)
    REQUEST_GAVE_UP_ON_DATABASE.set(False)


def lift_request_wait_limit(**_: Any) -> None:
    REQUEST_WAIT_LIMIT.set(None)
    REQUEST_GAVE_UP_ON_DATABASE.set(False)
