"""The WSGI application: Django's handler, and a second one with a shorter middleware chain for
the API's hot paths (``LEAN_PATHS``: POST /api/v1/xp/add/ and the seasonal board pages).

Both are Django's own WSGIHandler with real middleware instances; the lean one is built from
``LEAN_PATH_MIDDLEWARE``, which is ``MIDDLEWARE`` without what that path never uses: static
files (WhiteNoise), the admin's messages and allauth's account middleware (sign-in pages). Every
header and behaviour the API relies on (security headers, CORS, sessions, CSRF, languages, the
rate-limit headers, 503 when the database is away) comes from the same middleware classes as
everywhere else. Measured: docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.urls import ResolverMatch


class LeanWSGIHandler(WSGIHandler):
    def __init__(self) -> None:
        super().__init__()
        # The lean paths are a handful of fixed paths: each is resolved once by Django's
        # resolver and its match reused (a ResolverMatch is never changed after it is made).
        self._resolved: dict[str, ResolverMatch] = {}

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.LEAN_PATH_MIDDLEWARE  # read by load_middleware only
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        if hasattr(request, "urlconf"):  # a middleware chose another URLconf: Django's way
            return super().resolve_request(request)
        match = self._resolved.get(request.path_info)
        if match is None:
            match = super().resolve_request(request)
            self._resolved[request.path_info] = match
        request.resolver_match = match
        return match


class PathDispatcher:
    """Requests for ``LEAN_PATHS`` go to the lean handler, every other one to Django's."""

    def __init__(self, full: WSGIHandler, lean: WSGIHandler, lean_paths: Iterable[str]) -> None:
        self.full, self.lean, self.lean_paths = full, lean, frozenset(lean_paths)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        handler = self.lean if environ.get("PATH_INFO") in self.lean_paths else self.full
        return handler(environ, start_response)


def application() -> PathDispatcher:
    from django.core.wsgi import get_wsgi_application

    full = get_wsgi_application()  # sets Django up first
    return PathDispatcher(full, LeanWSGIHandler(), settings.LEAN_PATHS)  # type: ignore[arg-type]
