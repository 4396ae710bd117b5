"""psycopg tuning the XP write statement needs.

psycopg turns a query's ``%(name)s`` placeholders into ``$n`` on every execution, and caches the
result only for queries of at most ``MAX_CACHED_STATEMENT_LENGTH`` characters (4,096; psycopg
discussion #628: a bound on memory for huge generated queries). The XP statements
(core/services/xp/store.py) are 6-8 kB, so every award paid the conversion again: measured, a
third of a millisecond of Python per xp/add (docs/benchmarks.md). A fixed set of about a dozen
statements is no memory risk, so the bound is raised to fit them; the cache itself stays
psycopg's (an LRU of 128 queries). tests/core/test_db_driver.py proves the hot statement is
converted once and fails if a psycopg upgrade renames the setting.
"""

from __future__ import annotations

from psycopg import _queries

CACHED_QUERY_LENGTH = 16_384


def cache_long_query_conversions() -> None:
    if _queries.MAX_CACHED_STATEMENT_LENGTH < CACHED_QUERY_LENGTH:
        _queries.MAX_CACHED_STATEMENT_LENGTH = CACHED_QUERY_LENGTH
