"""Streaks, achievements, trophies and boosts over HTTP (thin: services and selectors do the work)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_responses
from api.throttling import PlayerWriteThrottle
from api.v1.achievements.serializers import (
    BoostsSerializer,
    CatalogueSerializer,
    FreezeSpentSerializer,
    PlayerAchievementsSerializer,
    StreaksSerializer,
)
from core.exceptions import NoActiveStreak, NoStreakFreeze, UnknownMode, UnknownPlayer
from core.selectors.achievements.achievements import (
    boosts_document,
    catalogue_document,
    streaks_document,
    unlocked_document,
)
from core.selectors.showcase.showcase import public_player
from core.services.achievements import streaks
from users.models import CustomUser


class StreaksView(APIView):
    """The signed-in player's streaks per mode, as of their local today."""

    @extend_schema(responses={200: StreaksSerializer})
    def get(self, request: Request) -> Response:
        return Response(StreaksSerializer(streaks_document(request.user)).data)  # type: ignore[arg-type]


class StreakFreezeView(APIView):
    """Spend a held freeze ahead: it covers the next local day the streak is not yet covered on."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=None,
        responses={201: FreezeSpentSerializer, **error_responses(UnknownMode, NoActiveStreak, NoStreakFreeze)},
    )
    def post(self, request: Request, mode: str) -> Response:
        day = streaks.freeze_ahead(user=request.user, mode=mode)  # type: ignore[arg-type]
        document = {"day": day, "streaks": streaks_document(request.user)}  # type: ignore[arg-type]
        return Response(FreezeSpentSerializer(document).data, status=status.HTTP_201_CREATED)


class AchievementCatalogueView(APIView):
    """Every achievement with the signed-in player's progress per tier (secret ones once unlocked)."""

    @extend_schema(responses={200: CatalogueSerializer})
    def get(self, request: Request) -> Response:
        return Response(CatalogueSerializer({"results": catalogue_document(request.user)}).data)  # type: ignore[arg-type]


class PlayerAchievementsView(APIView):
    """What a player unlocked: achievement tiers and season trophies (public)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: PlayerAchievementsSerializer, **error_responses(UnknownPlayer)})
    def get(self, request: Request, user_id: int) -> Response:
        # A hidden profile (public: false) shows to nobody but the player themself.
        player = public_player(user_id)
        if player is None and request.user.is_authenticated and request.user.pk == user_id:
            player = CustomUser.objects.filter(pk=user_id, is_active=True, erased_at__isnull=True).first()
        if player is None:
            raise UnknownPlayer()
        return Response(PlayerAchievementsSerializer(unlocked_document(player)).data)


class BoostListView(APIView):
    """XP boosts running now and scheduled (public)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: BoostsSerializer})
    def get(self, request: Request) -> Response:
        return Response(BoostsSerializer(boosts_document()).data)
