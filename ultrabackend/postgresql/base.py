"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before its first use in a request
by sending ``SELECT 1``: one more statement and round trip for every request. This backend asks
the connection itself instead: psycopg reads (without waiting) whatever the server has sent
since the last use. A server that shut down, restarted or terminated the backend has sent its
error and closed the socket, so the connection reports itself bad and Django opens a fresh one,
as with ``SELECT 1``. A server that stopped answering without closing anything looks healthy to
either check; the statement that follows then waits at most ``DB_QUERY_TIMEOUT`` seconds
(bounded_wait.py) and the request is a 503 (api/outage.py).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

from ultrabackend.postgresql.bounded_wait import BoundedPsycopg, connect_within_bounds


class DatabaseWrapper(base.DatabaseWrapper):
    Database = BoundedPsycopg()  # type: ignore[assignment]

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        return connect_within_bounds(lambda: super(DatabaseWrapper, self).get_new_connection(conn_params))

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        try:
            # Non-blocking: only what already arrived. A terminated backend sends its FATAL
            # message and then closes: the first read takes the message, the second the close.
            pgconn.consume_input()
            pgconn.consume_input()
        except psycopg.OperationalError:
            return False
        return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE
