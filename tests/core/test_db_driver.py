"""The database driver set-up the hot path relies on: psycopg caches the long XP statement's
placeholder conversion, and a kept connection is health-checked without a round trip."""

import time

import psycopg
import pytest
from django.db import connection
from psycopg import _queries

from core.services.xp import store


def test_the_longest_xp_statement_fits_psycopgs_conversion_cache():
    longest = max(len(sql) for sql in [*store.STATEMENTS.values(), *store.CHECKED_STATEMENTS.values()])
    assert longest > 4096  # why the bound is raised at all
    assert longest <= _queries.MAX_CACHED_STATEMENT_LENGTH  # set in core/apps.py


@pytest.mark.django_db
def test_a_statement_is_converted_once_however_often_it_runs():
    sql = "SELECT %(a)s::int + 0 AS x" + " " * 5000
    _queries._query2pg.cache_clear()
    with connection.cursor() as cursor:
        for a in range(5):
            cursor.execute(sql, {"a": a})
            assert cursor.fetchone() == (a,)
    assert _queries._query2pg.cache_info().misses == 1


@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_is_found_unusable_without_a_query_and_replaced():
    """The health check reads what the server already sent (its FATAL message and the close)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    assert connection.is_usable()
    params = connection.get_connection_params()
    try:
        with psycopg.connect(**{**params, "autocommit": True}) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while connection.is_usable() and time.monotonic() < deadline:
            time.sleep(0.01)  # the server's close reaches this socket a moment later
        assert not connection.is_usable()
        # What a request's start does (Django's close_old_connections, then the first cursor's
        # health check; the test client leaves these out): the dead connection is replaced.
        connection.close_if_unusable_or_obsolete()
        connection.close_if_health_check_failed()
        assert connection.connection is None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
    finally:
        if not connection.is_usable():  # never leave a dead connection to the next test
            connection.close()
