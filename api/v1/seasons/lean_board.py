"""GET /api/v1/seasons/{mode}/ for a signed-in player this process remembers, answered with one
Redis script and one SQL statement (docs/hot-path.md, "The signed-in leaderboard page").

The statement that reads the shown players also checks, at that moment, that the viewer's
session still holds (``core/selectors/accounts/session_gate.py``: what Django's ``get_user`` checks), so
the session is not loaded from Redis and the user row is not read. Anything else returns None
and the view answers exactly as it always has: signed out, an app token or a service key, a
past season, a parameter the view would refuse or one this path does not take, an unusual
Accept, a session this process has not verified yet (it is verified the usual way then, and
remembered), a session that no longer holds, the index away or waiting for a repair.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api import session_players
from api.pagination import page_param
from api.renderers import JSON_ACCEPTED, render_json
from api.v1.seasons.board_answer import MAX_PAGE_SIZE, board_document
from core.constants.leagues import LEAGUES
from core.exceptions import InvalidPage
from core.selectors.seasons.leaderboard import SessionViewer, indexed_page_for_session
from core.utils.dates import season_id_for, utc_now
from seasons.models import Season

_PARAMS = frozenset({"season", "league", "page", "page_size"})


def lean_board_answer(request: HttpRequest, mode: str) -> HttpResponse | None:
    """The answer to a signed-in player's page of the current season, or None (the view answers)."""
    meta = request.META
    if request.method != "GET" or meta.get("HTTP_ACCEPT", "") not in JSON_ACCEPTED or "HTTP_AUTHORIZATION" in meta:
        return None
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    params = request.GET
    season_id = season_id_for(utc_now())
    league = params.get("league")
    if (
        not params.keys() <= _PARAMS
        or any(len(params.getlist(name)) > 1 for name in params)
        or params.get("season", season_id) != season_id
        or (league is not None and league not in LEAGUES)
    ):
        return None
    try:
        page = page_param(params.get("page"), 1)
        size = page_param(params.get("page_size"), settings.LEADERBOARD_PAGE_SIZE, MAX_PAGE_SIZE)
    except InvalidPage:
        return None
    player = session_players.recall(session_key)
    if player is None:
        session_players.verified(request, session_key)  # next time; the view answers this one
        return None
    viewer = SessionViewer(player.user_id, session_key, player.password)
    board = indexed_page_for_session(
        season_id=season_id, mode=mode, league=league, offset=(page - 1) * size, limit=size, viewer=viewer
    )
    if board is None:
        session_players.forget(session_key)  # verified again the usual way from now on
        return None
    if page > 1 and not board.rows:
        return None  # past the last page: the view answers 404 page_not_found
    request.session.accessed = True  # as reading it would: the answer varies by Cookie
    document = board_document(request, board, page=page, page_size=size, season_status=Season.OPEN)
    return HttpResponse(render_json(document), content_type="application/json")
