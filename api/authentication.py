"""Who is calling: a player (session cookie or app Bearer token) or a service (API key).

- ``Authorization: Bearer <access JWT>``: a player from a native app (request.auth: AppToken).
- ``Authorization: Api-Key <key>``: a service such as the Discord bot. request.user stays
  anonymous (a key is nobody's account) and request.auth is the ServiceAPIKey; endpoints that
  accept keys say so with the permissions in api/permissions.py.
- The session cookie (DRF's SessionAuthentication, CSRF enforced for unsafe methods).

A malformed, expired, revoked or unknown credential is a 401 with a code, never a silent
fallback to anonymous.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication as rest_framework_authentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from api.errors import csrf_refusal, refusal
from core.exceptions import AccountCannotSignIn, AppTokenExpired, AppTokenRevoked, InvalidApiKey, InvalidAppToken
from core.services.accounts import tokens
from users.models import CustomUser, ServiceAPIKey


def credentials(request: Any, scheme: str) -> str | None:
    """The credentials of ``Authorization: <scheme> <credentials>`` (None: another scheme or none)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    given, _, value = header.partition(" ")
    if given.lower() != scheme.lower():
        return None
    return value.strip()


class BearerTokenAuthentication(BaseAuthentication):
    error_codes = {401: [InvalidAppToken.code, AppTokenExpired.code, AppTokenRevoked.code]}  # for api/schema.py

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = credentials(request, "Bearer")
        if token is None:
            return None
        try:
            claims = tokens.decode(token, typ="access")
        except InvalidAppToken as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None  # a registered code
        user = CustomUser.objects.filter(pk=claims.user_id).first()
        if user is None or not user.is_active:
            raise refusal(exceptions.AuthenticationFailed, AccountCannotSignIn)
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ServiceKeyAuthentication(BaseAuthentication):
    error_codes = {401: [InvalidApiKey.code]}

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = credentials(request, "Api-Key")
        if key is None:
            return None
        try:
            api_key = ServiceAPIKey.objects.get_from_key(key) if key else None
        except ServiceAPIKey.DoesNotExist:
            api_key = None
        if api_key is None or api_key.has_expired:
            raise refusal(exceptions.AuthenticationFailed, InvalidApiKey)
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return "Api-Key"


def is_service_key(request: Request) -> bool:
    return isinstance(request.auth, ServiceAPIKey)


def is_app_token(request: Request) -> bool:
    return isinstance(request.auth, tokens.AppToken)


class SessionAuthentication(rest_framework_authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced on unsafe methods), refusing with the same
    code as Django's own CSRF failure view: csrf_failed."""

    enforces_csrf = True  # api/schema.py documents 403 csrf_failed for unsafe methods

    def enforce_csrf(self, request: Any) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise csrf_refusal(str(exc.detail).removeprefix("CSRF Failed: ")) from None


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = BearerTokenAuthentication
    name = "appToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from POST /api/v1/auth/discord/ with client=app.",
        }


class ServiceKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = ServiceKeyAuthentication
    name = "serviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Authorization: Api-Key <key> (scoped service keys, e.g. the Discord bot).",
        }


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = SessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
