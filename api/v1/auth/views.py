"""Sign-in: Discord OAuth2 for browsers and apps, the session, app tokens, logout.

See docs/auth.md for the flows with example requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import HttpRequest, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.authentication import CSRFCheck
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import oauth_state
from api.authentication import is_app_token
from api.errors import csrf_refusal
from api.parsers import StrictFormParser, StrictJSONParser
from api.redirects import safe_next
from api.schema import error_responses
from api.throttling import SignInThrottle
from api.v1.auth.serializers import (
    SESSION,
    SESSION_SIGN_IN,
    TOKEN_PAIR,
    BrowserSignInStartSerializer,
    CSRFTokenSerializer,
    DiscordSignInSerializer,
    LogoutSerializer,
    RefreshSerializer,
    SessionSerializer,
    SessionSignInSerializer,
    TokenPairSerializer,
)
from core.clients import discord
from core.exceptions import (
    AccountDisabled,
    AppTokenExpired,
    AppTokenRevoked,
    CsrfFailed,
    DiscordBadGateway,
    DiscordClientRejected,
    DiscordCodeInvalid,
    DiscordNotConfigured,
    DiscordTokenInvalid,
    DiscordUnavailable,
    DomainError,
    InvalidAppToken,
    InvalidNext,
    InvalidOAuthState,
    OAuthAccessDenied,
)
from core.services.accounts import tokens
from core.services.accounts.user_service import sign_in_discord

PENDING_KEY = "discord_oauth"  # session key of the browser flow in progress
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


SIGN_IN_ANSWER = PolymorphicProxySerializer(
    component_name="SignIn",
    serializers={"session": SessionSignInSerializer, "token": TokenPairSerializer},
    resource_type_field_name="method",
)
DISCORD_ERRORS = (
    DiscordNotConfigured,
    DiscordCodeInvalid,
    DiscordTokenInvalid,
    DiscordUnavailable,
    DiscordBadGateway,
    DiscordClientRejected,
)


def enforce_csrf(request: HttpRequest) -> None:
    """The check DRF's SessionAuthentication runs, for views a signed-out browser calls."""
    check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type,return-value]
    check.process_request(request)
    reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise csrf_refusal(str(reason))


def callback_uri(request: HttpRequest) -> str:
    return settings.DISCORD_REDIRECT_URI or request.build_absolute_uri(reverse("auth-discord-callback"))


def frontend_error(code: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{settings.FRONTEND_URL}/?{urlencode({'auth_error': code})}")


class DiscordView(APIView):
    """GET (or a form POST): start the browser flow. JSON POST: sign in with a code or token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser, StrictFormParser]

    def get_throttles(self) -> list[Any]:
        return [SignInThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        parameters=[OpenApiParameter("next", str, description="URL to land on after sign-in (allowed origins only)")],
        responses={
            302: OpenApiResponse(description="To Discord's authorize page."),
            **error_responses(InvalidNext, DiscordNotConfigured),
        },
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        return self.start(request, request.query_params.get("next"))

    @extend_schema(
        request={
            "application/json": DiscordSignInSerializer,
            "application/x-www-form-urlencoded": BrowserSignInStartSerializer,
        },
        responses={
            200: SIGN_IN_ANSWER,
            302: OpenApiResponse(description="A form POST: to Discord's authorize page, like GET."),
            **error_responses(InvalidNext, AccountDisabled, *DISCORD_ERRORS, CsrfFailed),
        },
        description="JSON: sign in with a Discord code (and its redirect_uri) or access token; "
        '`"client": "app"` answers app tokens, a browser (the default) gets a session cookie and must send '
        "the CSRF token. A form POST starts the browser flow like GET.",
    )
    def post(self, request: Request) -> Any:
        if request.content_type.startswith("application/x-www-form-urlencoded"):
            enforce_csrf(request._request)
            return self.start(request, request.data.get("next") if isinstance(request.data, dict) else None)
        data = DiscordSignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        browser = values["client"] == "browser"
        if browser:
            enforce_csrf(request._request)
        if values.get("code"):
            access_token = discord.exchange_code(code=values["code"], redirect_uri=values["redirect_uri"])
        else:
            access_token = values["access_token"]
            discord.ensure_token_is_ours(access_token=access_token)
        user = sign_in_discord(identity=discord.identity_for(request._request, access_token=access_token))
        if not user.is_active:
            raise AccountDisabled()
        if browser:
            django_login(request._request, user, backend=SESSION_BACKEND)
            return Response(SESSION_SIGN_IN.to_representation({"user": user, "method": "session"}))
        return Response(TOKEN_PAIR.to_representation({"user": user, "method": "token", **tokens.issue_pair(user)}))

    def start(self, request: Request, next_url: str | None) -> HttpResponseRedirect:
        target = safe_next(next_url)
        discord.ensure_configured()
        redirect_uri = callback_uri(request._request)
        # Bound to this browser's session (not to a player: signing in as someone else is the point).
        state = oauth_state.begin(request._request, PENDING_KEY, next=target, redirect_uri=redirect_uri)
        return HttpResponseRedirect(discord.authorize_url(redirect_uri=redirect_uri, state=state))


class DiscordCallbackView(APIView):
    """Discord sends the browser here; it leaves signed in on the frontend, or on the frontend
    with ``?auth_error=<code>`` (invalid_state, access_denied, discord_code_invalid, ...)."""

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
                description="To the frontend: signed in, or with ?auth_error=<code> (invalid_state, "
                "access_denied, discord_code_invalid, ...)."
            )
        },
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        try:
            pending = oauth_state.finish(request._request, PENDING_KEY, request.query_params.get("state", ""))
        except InvalidOAuthState as exc:
            return frontend_error(exc.code)
        if request.query_params.get("error"):
            return frontend_error(OAuthAccessDenied.code)
        code = request.query_params.get("code", "")
        if not code:
            return frontend_error(DiscordCodeInvalid.code)
        try:
            access_token = discord.exchange_code(code=code, redirect_uri=pending["redirect_uri"])
            user = sign_in_discord(identity=discord.identity_for(request._request, access_token=access_token))
        except DomainError as exc:
            return frontend_error(exc.code)
        if not user.is_active:
            return frontend_error(AccountDisabled.code)
        django_login(request._request, user, backend=SESSION_BACKEND)
        return HttpResponseRedirect(pending["next"])


class CSRFView(APIView):
    """Sets the CSRF cookie and returns the token (send it back as X-CSRFToken)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: CSRFTokenSerializer})
    def get(self, request: Request) -> Response:
        # get_token marks the cookie as needed: CsrfViewMiddleware sets it on this response.
        return Response({"csrf_token": get_token(request._request)})


class SessionView(APIView):
    """Who is signed in (session cookie or app token); 401 when nobody."""

    @extend_schema(responses={200: SessionSerializer})
    def get(self, request: Request) -> Response:
        method = "token" if is_app_token(request) else "session"
        return Response(SESSION.to_representation({"user": request.user, "method": method}))


class LogoutView(APIView):
    """Ends the browser session; with {"refresh": ...} also uses up that app refresh token."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=LogoutSerializer,
        responses={
            204: OpenApiResponse(description="Signed out."),
        },
    )
    def post(self, request: Request) -> Response:
        refresh = request.data.get("refresh") if isinstance(request.data, dict) else None
        if isinstance(refresh, str) and refresh:
            tokens.revoke(refresh)
        if request.user.is_authenticated and not is_app_token(request):
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RefreshView(APIView):
    """A new access and refresh token for a refresh token (each refresh token works once)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    @extend_schema(
        request=RefreshSerializer,
        responses={
            200: TokenPairSerializer,
            **error_responses(InvalidAppToken, AppTokenExpired, AppTokenRevoked),
        },
    )
    def post(self, request: Request) -> Response:
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, pair = tokens.rotate(data.validated_data["refresh"])
        return Response(TOKEN_PAIR.to_representation({"user": user, "method": "token", **pair}))
