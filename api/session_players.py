"""Which player a session key belongs to, remembered in this process for the xp/add hot path.

Only a shortcut past loading the session and the user row: the hot path's write statement
checks, inside itself, that the session still exists unexpired, that the account is active and
that its password is the one the session was opened with (``store.GATE_SESSION``), which is
what Django's ``get_user`` checks. So a logout, an expired session, a deactivated account or a
changed password take effect at once in every worker, and a process that never saw a session
simply loads it the usual way first. Bounded: the oldest entries go first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

MAX_REMEMBERED = 50_000


@dataclass(frozen=True)
class SessionPlayer:
    user_id: int
    password: str  # the account's password hash when the session was verified


_players: dict[str, SessionPlayer] = {}


def recall(session_key: str) -> SessionPlayer | None:
    return _players.get(session_key)


def remember(session_key: str, player: SessionPlayer) -> None:
    if len(_players) >= MAX_REMEMBERED:
        del _players[next(iter(_players))]
    _players[session_key] = player


def forget(session_key: str) -> None:
    _players.pop(session_key, None)


def forget_all() -> None:
    _players.clear()


def verified(request: HttpRequest, session_key: str) -> SessionPlayer | None:
    """The session's player as Django's AuthenticationMiddleware finds it, remembered (once per
    process; a full view answering the same request reuses the same lazily loaded user)."""
    user = request.user
    if not user.is_authenticated or request.session.session_key != session_key or request.session.modified:
        return None
    player = SessionPlayer(user.pk, user.password)
    remember(session_key, player)
    return player
