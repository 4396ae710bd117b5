"""Counting what a request sends to PostgreSQL and to Redis (tests pin these counts)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import redis


class RoundTrips:
    """Statements sent to PostgreSQL (every psycopg execute, Django's or not: a health check's
    SELECT 1 would count) and commands sent to Redis (a pipeline or a script is one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        self.redis = 0
        execute, send = psycopg.Cursor.execute, redis.connection.AbstractConnection.send_packed_command

        def counting_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            self.sql.append(str(query).split(None, 1)[0])
            return execute(cursor, query, *args, **kwargs)

        def counting_send(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self.redis += 1
            return send(connection, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counting_execute)
        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting_send)

    def reset(self) -> None:
        self.sql, self.redis = [], 0
