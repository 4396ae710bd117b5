"""Seasons and the seasonal leaderboards (public; the signed-in player also gets ``me``)."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from api.fields import SEASON_ID_PATTERN
from api.pagination import StandardPagePagination
from api.schema import error_responses
from api.v1.seasons.serializers import (
    AllTimeLeaderboardSerializer,
    LeaderboardSerializer,
    SeasonSerializer,
    board_rows_document,
)
from core.constants.leagues import LEAGUES
from core.exceptions import InvalidPage, InvalidSeasonId, UnknownLeague, UnknownSeason
from core.selectors.all_time import all_time_board
from core.selectors.leaderboard import Board, leaderboard
from core.utils.dates import SEASON_ID_RE, month_bounds, season_id_for, utc_now
from seasons.models import Season

MAX_PAGE_SIZE = 100
POSITIVE_INT = {"type": "integer", "minimum": 1, "maximum": 999_999_999}  # what _positive_int accepts


class SeasonListView(generics.ListAPIView[Season]):
    permission_classes = [AllowAny]
    serializer_class = SeasonSerializer
    pagination_class = StandardPagePagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        """Every stored season, newest first, and the current month even before its first XP
        (shown, not stored: a GET writes nothing)."""
        seasons = list(Season.objects.order_by("-id"))
        current = season_id_for(utc_now())
        if not seasons or seasons[0].id < current:
            starts_at, ends_at = month_bounds(current)
            seasons.insert(0, Season(id=current, starts_at=starts_at, ends_at=ends_at, status=Season.OPEN))
        return seasons


def _positive_int(value: str | None, default: int, maximum: int | None = None) -> int:
    if value is None:
        return default
    # ASCII digits only ("²".isdigit() is true) and the length checked before int().
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidPage()
    number = int(value)
    return min(number, maximum) if maximum else number


class LeaderboardView(APIView):
    permission_classes = [AllowAny]
    mode = "reality"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "season", str, pattern=SEASON_ID_PATTERN, description="YYYY-MM; the current season when omitted"
            ),
            OpenApiParameter("league", str, enum=list(LEAGUES)),
            OpenApiParameter("page", POSITIVE_INT, description="From 1."),
            OpenApiParameter(
                "page_size", POSITIVE_INT, description=f"From 1; at most {MAX_PAGE_SIZE} rows are returned."
            ),
        ],
        responses={
            200: LeaderboardSerializer,
            **error_responses(InvalidSeasonId, UnknownSeason, UnknownLeague, InvalidPage),
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        season_id = params.get("season")
        if season_id is None or season_id == season_id_for(utc_now()):
            # The current month: open by definition (seasons close only after they end), and a
            # month without a row yet simply has an empty board; no query needed.
            season_id, status = season_id_for(utc_now()), Season.OPEN
        else:
            if not SEASON_ID_RE.fullmatch(season_id):
                raise InvalidSeasonId(season=season_id)
            found = Season.objects.filter(id=season_id).values_list("status", flat=True).first()
            if found is None:
                raise UnknownSeason(season=season_id)
            status = found
        league = params.get("league")
        if league is not None and league not in LEAGUES:
            raise UnknownLeague(league=league, leagues=list(LEAGUES))
        page = _positive_int(params.get("page"), 1)
        page_size = _positive_int(params.get("page_size"), settings.LEADERBOARD_PAGE_SIZE, MAX_PAGE_SIZE)
        me_id = request.user.pk if request.user.is_authenticated else None
        board = leaderboard(
            season_id=season_id,
            mode=self.mode,
            league=league,
            offset=(page - 1) * page_size,
            limit=page_size,
            me_id=me_id,
        )
        return Response(board_document(request, board, page=page, page_size=page_size, season_status=status))


def board_document(
    request: Request, board: Board, *, page: int, page_size: int, season_status: str | None
) -> dict[str, Any]:
    """The leaderboard answer (seasonal and all-time boards share it), in the shape of
    LeaderboardSerializer, built as plain values (a page renders up to 105 rows; measured in
    docs/benchmarks.md)."""
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


class RealityLeaderboardView(LeaderboardView):
    mode = "reality"


class CyberLeaderboardView(LeaderboardView):
    mode = "cyber"


class AllTimeLeaderboardView(APIView):
    """Players ranked on lifetime XP in one mode (public; ``me`` when signed in). The seasonal
    boards' shape, with ``season`` "all-time" and ``league`` null (leagues are per season)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("page", POSITIVE_INT, description="From 1."),
            OpenApiParameter("page_size", POSITIVE_INT),
        ],
        responses={200: AllTimeLeaderboardSerializer, **error_responses(InvalidPage)},
    )
    def get(self, request: Request, mode: str) -> Response:
        params = request.query_params
        page = _positive_int(params.get("page"), 1)
        page_size = _positive_int(params.get("page_size"), settings.LEADERBOARD_PAGE_SIZE, MAX_PAGE_SIZE)
        me_id = request.user.pk if request.user.is_authenticated else None
        board = all_time_board(mode=mode, offset=(page - 1) * page_size, limit=page_size, me_id=me_id)
        return Response(board_document(request, board, page=page, page_size=page_size, season_status=None))
