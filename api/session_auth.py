"""The signed-in user of a session, with revocation winning over the Redis copy of the session.

Django's AuthenticationMiddleware reads the user id from the session and loads the user. When
the session came from Redis (``ultrabackend.sessions``: ``served_from_cache``), that copy may outlive its
row in PostgreSQL (a logout while Redis was frozen, a session deleted or expired only in the
database). So the user row is loaded only while the session row exists unexpired, in the same
query (no extra round trip); otherwise the session is flushed (its stale copy removed) and the
request is anonymous. Sessions read from the database are left to Django's ``get_user``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db.models import Exists
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject


def session_user(request: HttpRequest) -> Any:
    """The user of the request's session, or AnonymousUser (Django's ``get_user`` rules)."""
    session = request.session
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if not getattr(session, "served_from_cache", False):
        return auth.get_user(request)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = auth.load_backend(backend_path)
    alive = Session.objects.filter(session_key=session.session_key, expire_date__gt=timezone.now())
    user = auth.get_user_model()._default_manager.filter(pk=user_id).filter(Exists(alive)).first()
    if user is None or not getattr(backend, "user_can_authenticate", lambda u: True)(user):
        if user is None:
            session.flush()  # revoked or expired in PostgreSQL: the Redis copy goes too
        return AnonymousUser()
    session_hash = session.get(auth.HASH_SESSION_KEY)
    if session_hash and constant_time_compare(session_hash, user.get_session_auth_hash()):
        return user
    if session_hash and any(constant_time_compare(session_hash, h) for h in user.get_session_auth_fallback_hash()):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
        return user
    session.flush()
    return AnonymousUser()


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with ``session_user`` as the way from a session to its user."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]
