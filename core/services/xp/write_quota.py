"""The player's write quota (the ``player_write`` rate limit), counted in PostgreSQL.

The count lives on the player's profile row (``UserProfile.write_window`` / ``write_count``): a
fixed window numbered ``unix time // window length`` and the writes counted in it. An xp/add
on the hot path counts itself inside its own statement (``store.write_checked_entry``), which
already locks and updates that row; every other player write counts itself here, in one
statement. Shared by every worker, exact under concurrency (the row lock orders the counts),
and independent of Redis.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from core.constants.leagues import DEFAULT_LEAGUE
from xp.models import Level, UserProfile

_COUNT_SQL = f"""
INSERT INTO {UserProfile._meta.db_table} AS p
    (user_id, total_xp, reality_xp, cyber_xp, level, reality_league, cyber_league, updated_at,
     write_window, write_count)
VALUES (%(uid)s, 0, 0, 0,
        COALESCE((SELECT level FROM {Level._meta.db_table} WHERE min_xp <= 0 ORDER BY min_xp DESC LIMIT 1), 1),
        %(league)s, %(league)s, %(now)s, %(window)s, 1)
ON CONFLICT (user_id) DO UPDATE SET
    write_count = CASE WHEN p.write_window = EXCLUDED.write_window THEN p.write_count + 1 ELSE 1 END,
    write_window = EXCLUDED.write_window
RETURNING p.write_count
"""


def count_write(user_id: int, *, window: int, now: datetime) -> int:
    """Count one write of ``user_id`` in ``window``; returns the writes counted in it so far,
    this one included (a refused write counts too: hammering does not reset the limit)."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, {"uid": user_id, "window": window, "now": now, "league": DEFAULT_LEAGUE})
        return int(cursor.fetchone()[0])
