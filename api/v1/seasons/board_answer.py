"""What the board views share: the page size bound and the answer's document (the page
parameters are parsed by ``api.pagination.page_param``, as on every list)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.v1.seasons.serializers import board_rows_document
from core.exceptions import PageNotFound
from core.selectors.seasons.leaderboard import Board

MAX_PAGE_SIZE = 100


def board_document(
    request: HttpRequest, board: Board, *, page: int, page_size: int, season_status: str | None
) -> dict[str, Any]:
    """The leaderboard answer (seasonal and all-time boards share it), in the shape of
    LeaderboardSerializer, built as plain values (a page renders up to 105 rows; measured in
    docs/benchmarks.md). Raises PageNotFound past the last page (page 1 of an empty board is
    an empty page)."""
    if page > 1 and not board.rows:
        raise PageNotFound()
    url = request.build_absolute_uri()
    me = None
    if board.me is not None:
        me = {
            "rank": board.me.rank,
            "xp": board.me.xp,
            "league": board.me.league,
            "around": board_rows_document(board.around),
        }
    return {
        "season": board.season_id,
        "season_status": season_status,
        "mode": board.mode,
        "league": board.league,
        "page": page,
        "page_size": page_size,
        "results": board_rows_document(board.rows),
        "me": me,
        "next": replace_query_param(url, "page", page + 1) if board.has_next else None,
        "previous": (
            None
            if page == 1
            else remove_query_param(url, "page")
            if page == 2
            else replace_query_param(url, "page", page - 1)
        ),
    }
