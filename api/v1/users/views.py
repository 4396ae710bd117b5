"""Player profiles: the signed-in player's own, and a Discord user's for service keys."""

from typing import Any

from django.contrib.auth import logout as django_logout
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import NoUnknownFieldsMixin, StrictCharField
from api.permissions import IsScopedKey
from api.schema import error_responses
from api.throttling import PlayerWriteThrottle, ServiceKeyReadThrottle
from api.v1.users.serializers import (
    OwnProfileSerializer,
    PastSeasonsSerializer,
    PersonalDataSerializer,
    ProfileSerializer,
    render_own_profile,
    render_profile,
)
from core.constants.modes import MODES
from core.exceptions import (
    ConfirmationInvalid,
    ConfirmationRequired,
    DisplayNameTaken,
    InvalidDiscordId,
    InvalidDisplayName,
    InvalidFilter,
    InvalidTimezone,
    UnknownDiscordUser,
)
from core.selectors.accounts.account import past_seasons, personal_data
from core.selectors.accounts.profile import profile_summary
from core.selectors.achievements.achievements import profile_extras
from core.selectors.seasons.cohort import own_cohorts
from core.selectors.strava.strava import strava_status
from core.services.accounts.account_service import erase_account, set_display_name
from core.services.accounts.player_timezone import set_streak_reminders, set_timezone
from core.services.accounts.user_service import find_discord_user
from core.services.accounts.visibility import set_profile_public
from users.models import CustomUser


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (no "yes", 1 or "false" strings)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ProfileUpdateSerializer(NoUnknownFieldsMixin, serializers.Serializer[dict]):
    # Validated as given by the service (no trimming here); null resets to the Discord name.
    display_name = StrictCharField(allow_null=True, allow_blank=True, required=False)
    public = StrictBooleanField(
        required=False, help_text="false hides the player from every public page and card (docs/showcase.md)."
    )
    # An IANA name (Europe/Berlin): the player's local day for streaks.
    timezone = StrictCharField(required=False, max_length=64)
    # Opt in (or out) of a Discord DM a few hours before a streak would be lost.
    streak_reminders = serializers.BooleanField(required=False)


class AccountErasureSerializer(NoUnknownFieldsMixin, serializers.Serializer[dict]):
    confirmation_token = StrictCharField(required=False, max_length=500)


def own_profile(user: CustomUser) -> dict[str, Any]:
    """The profile document plus the player's linked services (``integrations``)."""
    summary = profile_summary(user)
    return {
        **summary,
        "integrations": {"strava": strava_status(user)},
        "cohorts": own_cohorts(user.pk, summary["season"]["id"]),
        "public": user.public,
        "timezone": user.timezone,
        "streak_reminders": user.streak_reminders,
        **profile_extras(user),
    }


class ProfileView(APIView):
    throttle_classes = [PlayerWriteThrottle]

    def get_throttles(self):  # type: ignore[no-untyped-def]
        return super().get_throttles() if self.request.method == "PATCH" else []

    @extend_schema(responses={200: OwnProfileSerializer})
    def get(self, request: Request) -> Response:
        return Response(render_own_profile(own_profile(request.user)))  # type: ignore[arg-type]

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses={
            200: OwnProfileSerializer,
            **error_responses(InvalidDisplayName, DisplayNameTaken, InvalidTimezone),
        },
    )
    def patch(self, request: Request) -> Response:
        """Change what the player may change: the display name (null: back to the Discord name),
        whether they show on public pages (``public``), the time zone (an IANA name) and the
        streak reminder. All or nothing: a refused value changes none of them."""
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            if "display_name" in data.validated_data:
                set_display_name(user=request.user, display_name=data.validated_data["display_name"])  # type: ignore[arg-type]
            if "public" in data.validated_data:
                set_profile_public(user=request.user, public=data.validated_data["public"])  # type: ignore[arg-type]
            if "timezone" in data.validated_data:
                set_timezone(user=request.user, timezone=data.validated_data["timezone"])  # type: ignore[arg-type]
            if "streak_reminders" in data.validated_data:
                set_streak_reminders(user=request.user, enabled=data.validated_data["streak_reminders"])  # type: ignore[arg-type]
        return Response(render_own_profile(own_profile(request.user)))  # type: ignore[arg-type]


class UserSeasonsView(APIView):
    """The player's closed seasons per mode: final rank, XP, league before and after, movement."""

    @extend_schema(
        parameters=[OpenApiParameter("mode", str, enum=list(MODES))],
        responses={200: PastSeasonsSerializer, **error_responses(InvalidFilter)},
    )
    def get(self, request: Request) -> Response:
        mode = request.query_params.get("mode")
        if mode is not None and mode not in MODES:
            raise InvalidFilter(field="mode")
        return Response(PastSeasonsSerializer({"results": past_seasons(request.user, mode=mode)}).data)  # type: ignore[arg-type]


class ExportView(APIView):
    """Every personal datum held about the player, as one JSON document (a download)."""

    @extend_schema(responses={200: PersonalDataSerializer})
    def get(self, request: Request) -> Response:
        response = Response(PersonalDataSerializer(personal_data(request.user)).data)  # type: ignore[arg-type]
        response["Content-Disposition"] = f'attachment; filename="igoultra-export-{request.user.pk}.json"'
        return response


class AccountView(APIView):
    """Erase the player's account. First call: 409 confirmation_required with a
    ``confirmation_token``; the same call with that token (within ten minutes) erases: 204."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=AccountErasureSerializer,
        responses={204: None, **error_responses(ConfirmationRequired, ConfirmationInvalid)},
    )
    def delete(self, request: Request) -> Response:
        data = AccountErasureSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        erase_account(user=request.user, confirmation_token=data.validated_data.get("confirmation_token"))  # type: ignore[arg-type]
        if request.session is not None:
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DiscordProfileView(APIView):
    """A Discord user's profile, for a service key with ``profile:read``. 400 for a malformed
    id, 404 when that Discord user has no account (reading never creates one)."""

    permission_classes = [IsScopedKey]
    required_scope = "profile:read"
    throttle_classes = [ServiceKeyReadThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("discord_id", {"type": "string", "pattern": "^[0-9]{17,20}$"}, OpenApiParameter.PATH)
        ],
        responses={200: ProfileSerializer, **error_responses(InvalidDiscordId, UnknownDiscordUser)},
    )
    def get(self, request: Request, discord_id: str) -> Response:
        user = find_discord_user(discord_id=discord_id)
        if user is None:
            raise UnknownDiscordUser(discord_id=discord_id)
        return Response(render_profile(profile_summary(user)))
