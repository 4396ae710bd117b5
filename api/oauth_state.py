"""One OAuth state for every flow that sends the browser to another site and back: Discord
sign-in, Discord Linked Roles and Strava.

``begin`` makes a random state and keeps it in the browser's session under the flow's key,
with when it was made, the player signed in when it started (if the flow binds one) and what
the callback needs (``redirect_uri``, ``next``). ``finish`` takes it out again (a state works
once) and refuses with the flow's registered code (``invalid_state``, or
``strava_invalid_state`` for Strava) when nothing was started in this browser, the state is
missing or different, older than ``STATE_TTL_SECONDS``, or the player who started is no longer
the one signed in. A consent URL forwarded to someone else therefore links and signs in nobody:
their browser holds no such state.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from core.exceptions import DomainError, InvalidOAuthState

STATE_TTL_SECONDS = 600


def begin(request: HttpRequest, flow: str, *, player: Any = None, **data: Any) -> str:
    """A new state for ``flow`` bound to this browser's session and, when given and signed in,
    to ``player``; ``data`` comes back from ``finish``."""
    state = secrets.token_urlsafe(32)
    bound = player.pk if player is not None and player.is_authenticated else None
    request.session[flow] = {**data, "state": state, "created": int(time.time()), "user": bound}
    return state


def finish(
    request: HttpRequest,
    flow: str,
    state: str,
    *,
    player: Any = None,
    refused: type[DomainError] = InvalidOAuthState,
) -> dict[str, Any]:
    """The data ``begin`` kept for ``state`` (used up); raises ``refused``. ``player`` is who is
    signed in now: a state bound to a player needs that same player."""
    pending = request.session.pop(flow, None)
    if (
        not isinstance(pending, dict)
        or not isinstance(state, str)
        or not state
        or not constant_time_compare(state, str(pending.get("state", "")))
        or not isinstance(pending.get("created"), int)
        or time.time() - pending["created"] > STATE_TTL_SECONDS
    ):
        raise refused()
    started_by = pending.get("user")
    if started_by is not None and (player is None or not player.is_authenticated or player.pk != started_by):
        raise refused()  # signed out, or someone else signed in, since it started
    return pending
