"""What a caller may do. Views that accept service keys name the scope in ``required_scope``.

Scopes: ``xp:write`` (award XP to a Discord user), ``profile:read`` (read a Discord user's
profile), ``webhooks:manage`` (manage its webhook subscriptions: /api/v1/webhooks/), ``claims:moderate``
(decide claims: /api/v1/claims/{id}/decision/). Anonymous
callers get 401 (DRF: no successful authenticator); an authenticated caller that is not allowed
gets 403 with a code.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.authentication import is_service_key


def _key_allowed(permission: Any, request: Request, view: Any) -> bool:
    scope = getattr(view, "required_scope", None)
    if scope and request.auth.has_scope(scope):  # type: ignore[union-attr]
        return True
    permission.message = f"This API key lacks the scope {scope!r}."
    permission.code = "missing_scope"
    return False


class IsPlayerOrScopedKey(BasePermission):
    """A signed-in player (session or app token), or a service key with the view's scope."""

    message, code = "Sign in as a player or use a service key.", "permission_denied"
    error_codes = {401: ["not_authenticated"], 403: ["missing_scope"]}  # for api/schema.py

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return _key_allowed(self, request, view)
        return bool(request.user and request.user.is_authenticated)


class IsScopedKey(BasePermission):
    """Only a service key with the view's scope (players get 403 service_key_required)."""

    message, code = "This endpoint is for service keys.", "service_key_required"
    error_codes = {401: ["not_authenticated"], 403: ["service_key_required", "missing_scope"]}

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return _key_allowed(self, request, view)
        return False


class IsStaffOrScopedKey(BasePermission):
    """A signed-in staff member (a moderator), or a service key with the view's scope."""

    message, code = "Only moderators (staff) or a service key with the scope may do this.", "not_moderator"
    error_codes = {401: ["not_authenticated"], 403: ["not_moderator", "missing_scope"]}

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return _key_allowed(self, request, view)
        if not (request.user and request.user.is_authenticated):
            return False
        self.message, self.code = IsStaffOrScopedKey.message, IsStaffOrScopedKey.code
        return bool(request.user.is_staff)
