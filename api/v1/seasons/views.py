"""Seasons and the seasonal leaderboards (public; the signed-in player also gets ``me``)."""

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import SEASON_ID_PATTERN
from api.pagination import StandardPagePagination, page_param
from api.schema import error_responses
from api.v1.seasons.board_answer import MAX_PAGE_SIZE, board_document
from api.v1.seasons.lean_board import lean_board_answer
from api.v1.seasons.serializers import (
    AllTimeLeaderboardSerializer,
    CohortBoardSerializer,
    LeaderboardSerializer,
    SeasonSerializer,
)
from core.constants.leagues import LEAGUES
from core.exceptions import InvalidPage, InvalidSeasonId, PageNotFound, UnknownLeague, UnknownSeason
from core.selectors.seasons.all_time import all_time_board
from core.selectors.seasons.cohort import CohortBoard, CohortRow, cohort_board
from core.selectors.seasons.leaderboard import leaderboard
from core.services.seasons import cohorts
from core.utils.dates import SEASON_ID_RE, iso_utc, month_bounds, season_id_for, utc_now
from seasons.models import Season

POSITIVE_INT = {"type": "integer", "minimum": 1, "maximum": 999_999_999}  # what api.pagination.page_param accepts


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


class LeaderboardView(APIView):
    # One DRF view for every request, as xp/add (docs/benchmarks.md). A signed-in player's page of
    # the current season is answered in ``initial`` by the lean path (api/v1/seasons/
    # lean_board.py), which checks the session inside the page's own statement; every other
    # request takes DRF's full way through ``get``. No docstring: it would be the operation's
    # description in the OpenAPI schema.

    permission_classes = [AllowAny]
    mode = "reality"
    lean: HttpResponse | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.lean = lean_board_answer(request._request, self.mode) if request.method == "GET" else None
        if self.lean is None:  # the lean answer needs none of DRF's steps (not even negotiation:
            super().initial(request, *args, **kwargs)  # it answered a JSON Accept with JSON)

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
            **error_responses(InvalidSeasonId, UnknownSeason, UnknownLeague, InvalidPage, PageNotFound),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        if self.lean is not None:
            return self.lean
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
        page = page_param(params.get("page"), 1)
        page_size = page_param(params.get("page_size"), settings.LEADERBOARD_PAGE_SIZE, MAX_PAGE_SIZE)
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
        responses={200: AllTimeLeaderboardSerializer, **error_responses(InvalidPage, PageNotFound)},
    )
    def get(self, request: Request, mode: str) -> Response:
        params = request.query_params
        page = page_param(params.get("page"), 1)
        page_size = page_param(params.get("page_size"), settings.LEADERBOARD_PAGE_SIZE, MAX_PAGE_SIZE)
        me_id = request.user.pk if request.user.is_authenticated else None
        board = all_time_board(mode=mode, offset=(page - 1) * page_size, limit=page_size, me_id=me_id)
        return Response(board_document(request, board, page=page, page_size=page_size, season_status=None))


def _season_asked(season_id: str | None) -> tuple[str, str, Any]:
    """(id, status, ends_at) of ``?season=`` (the current season when omitted); raises
    InvalidSeasonId, UnknownSeason."""
    current = season_id_for(utc_now())
    if season_id is None or season_id == current:
        return current, Season.OPEN, month_bounds(current)[1]
    if not SEASON_ID_RE.fullmatch(season_id):
        raise InvalidSeasonId(season=season_id)
    found = Season.objects.filter(id=season_id).values_list("status", "ends_at").first()
    if found is None:
        raise UnknownSeason(season=season_id)
    return season_id, found[0], found[1]


def _cohort_row(row: CohortRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "rank": row.rank,
        "user": {
            "id": row.user_id,
            "username": row.username,
            "display_name": row.display_name,
            "avatar_url": row.avatar_url,
        },
        "xp": row.xp,
        "level": row.level,
        "layer": row.layer,
        "promotion_zone": row.promotion_zone,
        "demotion_zone": row.demotion_zone,
    }


def cohort_document(board: CohortBoard, *, season_id: str, status: str, ends_at: Any, mode: str) -> dict[str, Any]:
    cohort = board.cohort
    return {
        "season": season_id,
        "season_status": status,
        "ends_at": iso_utc(ends_at),
        "mode": mode,
        "league": cohort.league if cohort else None,
        "cohort": None
        if cohort is None
        else {
            "id": cohort.pk,
            "number": cohort.number,
            "league": cohort.league,
            "size": cohort.capacity,
            "players": len(board.rows),
            "promotes": board.promotes,
            "demotes": board.demotes,
        },
        "results": [_cohort_row(row) for row in board.rows],
        "me": _cohort_row(board.me),
    }


class CohortLeaderboardView(APIView):
    """The signed-in player's cohort in one mode: the players of their league they compete with
    this season (``?season=YYYY-MM`` for a past one), ranked by season XP, then who reached it
    first, with the promotion and demotion zones marked. ``cohort`` is null before the player's
    first XP of that season and mode."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "season", str, pattern=SEASON_ID_PATTERN, description="YYYY-MM; the current season when omitted"
            ),
        ],
        responses={200: CohortBoardSerializer, **error_responses(InvalidSeasonId, UnknownSeason)},
    )
    def get(self, request: Request, mode: str) -> Response:
        season_id, status, ends_at = _season_asked(request.query_params.get("season"))
        user_id = int(request.user.pk or 0)  # signed in (IsAuthenticated)
        board = cohort_board(user_id=user_id, season_id=season_id, mode=mode, closed=status == Season.CLOSED)
        if board.waiting is not None and status == Season.OPEN:
            # The player's first award was cut off before it placed them (a crash between the
            # two): place them now, as the award would have.
            league, _ = board.waiting
            cohorts.assign(season_id=season_id, mode=mode, league=league, user_id=user_id)
            board = cohort_board(user_id=user_id, season_id=season_id, mode=mode, closed=False)
        return Response(cohort_document(board, season_id=season_id, status=status, ends_at=ends_at, mode=mode))
