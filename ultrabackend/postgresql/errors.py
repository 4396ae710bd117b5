"""The errors this backend raises instead of waiting for a PostgreSQL that does not answer.

All are psycopg ``OperationalError``s, so Django wraps them like any lost connection and the
request is the usual ``503 database_unavailable`` with ``Retry-After`` (api/outage.py)."""

from __future__ import annotations

import psycopg


class QueryWaitTimeout(psycopg.OperationalError):
    """PostgreSQL did not answer a request's statement within ``DB_QUERY_TIMEOUT`` seconds."""


class DatabaseGivenUp(psycopg.OperationalError):
    """This request already failed to reach PostgreSQL; it does not try again."""


class DatabaseSkipped(psycopg.OperationalError):
    """Raised instead of connecting while the worker's breaker is open (breaker.py)."""


TIMEOUT_ERRORS: tuple[type[Exception], ...] = (QueryWaitTimeout, psycopg.errors.ConnectionTimeout)
