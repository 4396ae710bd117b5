"""Player profiles: the signed-in player's own, and a Discord user's for service keys."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsScopedKey
from api.throttling import ServiceKeyReadThrottle
from core.exceptions import UnknownDiscordUser
from core.selectors.profile import profile_summary
from core.services.user_service import find_discord_user


class ProfileView(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(profile_summary(request.user))  # type: ignore[arg-type]


class DiscordProfileView(APIView):
    """A Discord user's profile, for a service key with ``profile:read``. 400 for a malformed
    id, 404 when that Discord user has no account (reading never creates one)."""

    permission_classes = [IsScopedKey]
    required_scope = "profile:read"
    throttle_classes = [ServiceKeyReadThrottle]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, discord_id: str) -> Response:
        user = find_discord_user(discord_id=discord_id)
        if user is None:
            raise UnknownDiscordUser(discord_id=discord_id)
        return Response(profile_summary(user))
