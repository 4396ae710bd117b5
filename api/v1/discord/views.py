"""The Discord app's HTTP edge: the signed interactions endpoint and the Linked Roles OAuth flow.

See docs/discord.md. The interaction logic lives in community/interactions.py.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import oauth_state
from api.parsers import DuplicateKeyError, InvalidTextError, loads_exact, refusal
from api.schema import error_responses
from api.session_auth import session_user
from api.v1.discord.serializers import InteractionResponseSerializer, InteractionSerializer
from community import interactions
from community.signature import verify
from core.clients import discord
from core.clients.discord import avatar_url
from core.exceptions import (
    AccountDisabled,
    DiscordCodeInvalid,
    DiscordUnavailable,
    DomainError,
    DuplicateKey,
    InteractionSignatureInvalid,
    InteractionsNotConfigured,
    InteractionTimestampInvalid,
    InvalidInteraction,
    InvalidOAuthState,
    InvalidText,
    LinkedRolesNotConfigured,
    OAuthAccessDenied,
    OAuthAccountMismatch,
    OAuthScopeMissing,
)
from core.services.accounts.user_service import DiscordIdentity, sign_in_discord, validate_discord_id
from core.services.discord import linked_roles

logger = logging.getLogger(__name__)

PENDING_KEY = "discord_linked_roles"


class InteractionsView(APIView):
    """Discord POSTs every interaction here, signed with Ed25519 (X-Signature-Ed25519 over
    X-Signature-Timestamp + body). 401 when the signature is missing or wrong; nothing else is
    looked at before the signature checks out."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=InteractionSerializer,
        responses={
            200: InteractionResponseSerializer,
            **error_responses(
                InvalidInteraction,
                InteractionSignatureInvalid,
                InteractionTimestampInvalid,
                InteractionsNotConfigured,
                InvalidText,
                DuplicateKey,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = request._request.body  # the raw bytes Discord signed
        verify(
            public_key_hex=settings.DISCORD_PUBLIC_KEY,
            signature_hex=request.headers.get("X-Signature-Ed25519"),
            timestamp=request.headers.get("X-Signature-Timestamp"),
            body=body,
        )
        try:
            # Exact decimals for `units` (5.3 km stays 5.3, never 5.2999...); no lone surrogate,
            # NUL, repeated key or deep nesting reaches the dispatcher.
            payload = loads_exact(body)
        except (InvalidTextError, DuplicateKeyError) as exc:
            raise refusal(exc) from None
        except ValueError:
            raise InvalidInteraction("The body is not JSON.") from None
        return Response(interactions.handle(payload))


def _callback_uri(request: Request) -> str:
    return settings.DISCORD_LINKED_ROLES_REDIRECT_URI or request.build_absolute_uri(
        reverse("discord-linked-roles-callback")
    )


def _done(**query: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{settings.FRONTEND_URL}/?{urlencode(query)}")


class LinkedRolesView(APIView):
    """The Linked Roles verification URL: sends the browser to Discord's consent page."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            302: OpenApiResponse(description="To Discord's authorize page (scopes role_connections.write identify)."),
            **error_responses(LinkedRolesNotConfigured),
        }
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        linked_roles.ensure_configured()
        redirect_uri = _callback_uri(request)
        # Bound to this browser (its session) and to the player signed in here, if any.
        player = session_user(request._request)  # this view authenticates nobody: the session's player
        state = oauth_state.begin(request._request, PENDING_KEY, player=player, redirect_uri=redirect_uri)
        return HttpResponseRedirect(
            discord.authorize_url(redirect_uri=redirect_uri, state=state, scopes=linked_roles.SCOPES, prompt="consent")
        )


class LinkedRolesCallbackView(APIView):
    """Discord sends the browser back here; it lands on the frontend with
    ``?discord_linked_roles=connected`` or ``?discord_linked_roles_error=<code>``."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, description="The state the flow started with."),
            OpenApiParameter("code", str, description="Discord's authorization code."),
            OpenApiParameter("error", str, description="Set by Discord when the player refused."),
        ],
        responses={
            302: OpenApiResponse(
                description="To the frontend: ?discord_linked_roles=connected, or "
                "?discord_linked_roles_error=<code> (invalid_state, access_denied, account_mismatch, discord_code_invalid, ...)."
            )
        },
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        player = session_user(request._request)
        try:
            pending = oauth_state.finish(
                request._request, PENDING_KEY, request.query_params.get("state", ""), player=player
            )
        except InvalidOAuthState as exc:
            return _done(discord_linked_roles_error=exc.code)
        started_by = pending["user"]
        if request.query_params.get("error"):
            return _done(discord_linked_roles_error=OAuthAccessDenied.code)
        code = request.query_params.get("code", "")
        if not code:
            return _done(discord_linked_roles_error=DiscordCodeInvalid.code)
        try:
            linked_roles.ensure_configured()
            tokens = discord.exchange_tokens(code=code, redirect_uri=pending["redirect_uri"])
            if "role_connections.write" not in str(tokens.get("scope", "")).split():
                return _done(discord_linked_roles_error=OAuthScopeMissing.code)
            who = discord.whoami(tokens["access_token"])
            discord_id = validate_discord_id(who.get("id"))
            if started_by is not None and getattr(player, "discord_id", None) != discord_id:
                # The signed-in player consented with another Discord account: link nobody.
                return _done(discord_linked_roles_error=OAuthAccountMismatch.code)
            username = str(who.get("username") or "")[:150]
            user = sign_in_discord(
                identity=DiscordIdentity(
                    discord_id=discord_id,
                    username=username,
                    display_name=str(who.get("global_name") or username)[:100],
                    avatar_url=_avatar(discord_id, who.get("avatar")),
                    extra_data=who,
                )
            )
            if not user.is_active:
                return _done(discord_linked_roles_error=AccountDisabled.code)
            linked_roles.link(user=user, discord_id=discord_id, tokens=tokens)
        except discord.Rejected:
            return _done(discord_linked_roles_error=DiscordCodeInvalid.code)
        except discord.DiscordError:
            logger.warning("Discord failed during a Linked Roles callback", exc_info=True)
            return _done(discord_linked_roles_error=DiscordUnavailable.code)
        except DomainError as exc:
            return _done(discord_linked_roles_error=exc.code)
        return _done(discord_linked_roles="connected")


def _avatar(discord_id: str, avatar: object) -> str:
    return avatar_url(discord_id, avatar)
