"""What a caller may do. Views that accept service keys name the scope in ``required_scope``.

Scopes: ``xp:write`` (award XP to a Discord user), ``profile:read`` (read a Discord user's
profile), ``webhooks:manage`` (manage its webhook subscriptions: /api/v1/webhooks/), ``claims:moderate``
(decide claims: /api/v1/claims/{id}/decision/). Anonymous
callers get 401 (DRF: no successful authenticator); an authenticated caller that is not allowed
gets 403 with a registered code (core/exceptions.py).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.authentication import is_service_key
from api.errors import refusal
from core.exceptions import DomainError, MissingScope, NotAuthenticated, NotModerator, ServiceKeyRequired


def key_allowed(request: Request, view: Any) -> bool:
    """A service key with the view's scope; 403 missing_scope (naming the scope) otherwise."""
    scope = getattr(view, "required_scope", None)
    if scope and request.auth.has_scope(scope):  # type: ignore[union-attr]
        return True
    raise refusal(exceptions.PermissionDenied, MissingScope, scope=scope)


def staff_or_refuse(request: Request, error: type[DomainError]) -> bool:
    """A signed-in staff member; False for nobody signed in (401), 403 ``error`` for a player."""
    if not (request.user and request.user.is_authenticated):
        return False
    if not request.user.is_staff:
        raise refusal(exceptions.PermissionDenied, error)
    return True


class IsPlayerOrScopedKey(BasePermission):
    """A signed-in player (session or app token), or a service key with the view's scope."""

    error_codes = {401: [NotAuthenticated.code], 403: [MissingScope.code]}  # for api/schema.py

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return key_allowed(request, view)
        return bool(request.user and request.user.is_authenticated)


class IsScopedKey(BasePermission):
    """Only a service key with the view's scope (players get 403 service_key_required)."""

    error_codes = {401: [NotAuthenticated.code], 403: [ServiceKeyRequired.code, MissingScope.code]}

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return key_allowed(request, view)
        if request.user and request.user.is_authenticated:
            raise refusal(exceptions.PermissionDenied, ServiceKeyRequired)
        return False


class IsStaffOrScopedKey(BasePermission):
    """A signed-in staff member (a moderator), or a service key with the view's scope."""

    error_codes = {401: [NotAuthenticated.code], 403: [NotModerator.code, MissingScope.code]}

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return key_allowed(request, view)
        return staff_or_refuse(request, NotModerator)
