"""What Django's ``get_user`` checks of a session, as SQL inside another statement.

A hot path that remembers which player a session key belongs to (``api/session_players.py``)
skips loading the session and the user row, and lets its own statement check instead, at that
moment: the account is active, the session row still exists unexpired, and the account's
password hash is the one the session was verified with. So a logout, an expired session, a
deactivation or a password change take effect at once, in every worker.
"""

from __future__ import annotations

from django.contrib.sessions.models import Session


def session_holds(user: str) -> str:
    """SQL conditions on the users row aliased ``user`` (after its ``WHERE`` or ``AND``) with the
    parameters ``%(session_key)s``, ``%(password)s`` and ``%(now)s``."""
    return f"""{user}.is_active
      AND {user}.password = %(password)s
      AND EXISTS (SELECT 1 FROM {Session._meta.db_table} s
                  WHERE s.session_key = %(session_key)s AND s.expire_date > %(now)s)"""
