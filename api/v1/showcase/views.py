"""Rank cards: a player's level, XP, season rank, league and layer as a 934 x 282 PNG."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from api.schema import error_responses
from core.constants.modes import MODES
from core.exceptions import InvalidFilter, UnknownPlayer
from showcase.card import LANGUAGES, THEMES
from showcase.cards import CardOptions, prepare_card

CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"


class RankCardView(APIView):
    """Public: any public player's card; a hidden or unknown player is 404 ``unknown_player``."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []  # public and cacheable: no session, no CSRF, no Vary: Cookie

    def perform_content_negotiation(self, request, force=False):  # type: ignore[no-untyped-def]
        # The card is PNG whatever the client accepts (an <img> asks for image/*); errors are JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="users_card_png",
        parameters=[
            OpenApiParameter("mode", str, enum=list(MODES), description="Default reality."),
            OpenApiParameter("theme", str, enum=list(THEMES), description="Default dark."),
            OpenApiParameter("lang", str, enum=list(LANGUAGES), description="Default: Accept-Language, else en."),
        ],
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The card, 934 x 282 PNG."),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
            **error_responses(UnknownPlayer, InvalidFilter),
        },
    )
    def get(self, request: Request, user_id: int) -> HttpResponse:
        options = CardOptions.parse(
            mode=request.query_params.get("mode"),
            theme=request.query_params.get("theme"),
            lang=request.query_params.get("lang"),
            default_lang=(get_language() or "en")[:2],
        )
        card = prepare_card(user_id, options)
        if card.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(card.png(), content_type="image/png")
        response["ETag"] = card.etag
        response["Cache-Control"] = CACHE_CONTROL
        return response
