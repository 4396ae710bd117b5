"""A WSGI handler for one hot path that calls the middleware hooks itself instead of going
through Django's request handler (POST /api/v1/xp/add/; docs/hot-path.md, measured in
docs/benchmarks.md: Django's handler and the middleware chain were a third of the path's CPU).

The answer comes from an answer function (``api.v1.xp.hot_path.lean_answer``) that either
answers the common request or declines with None. Around it, every middleware of
``LEAN_PATH_MIDDLEWARE`` runs its own code, in the chain's order, as Django's handler would run it:

- ``process_request`` outer to inner; ``process_view`` with the path's resolved view;
  ``process_exception`` inner to outer when the answer raises, then Django's own
  ``response_for_exception`` (so a database outage is the usual 503 with Retry-After);
  ``process_response`` inner to outer, an exception there answered as Django's chain would;
- the two middlewares that are not ``MiddlewareMixin`` are called through their own steps:
  CORS (``check_preflight``, ``add_response_headers``) and the RateLimit headers
  (``process_response``); the outage middleware has only ``process_exception``;
- Django's request signals (``request_started`` before, ``request_finished`` when the server
  closes the answer), the URLconf and script prefix, the log line of a 4xx/5xx answer.

A middleware it does not know how to call (another class with its own ``__call__``) turns the
handler off: every request then goes through the lean chain. When a request hook answers
(a redirect, a preflight) or raises, or the answer function declines, the request goes through
the lean chain instead, its body replayed, and nothing has been written (the answer function
declines only before it writes). ``tests/core/test_direct_handler.py`` holds the answers and
headers equal to the chain's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.core import signals
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import resolve, set_script_prefix, set_urlconf
from django.utils.deprecation import MiddlewareMixin
from django.utils.log import log_response
from django.utils.module_loading import import_string

from api.outage import DatabaseUnavailableMiddleware
from api.ratelimit import RateLimitHeadersMiddleware

Answer = Callable[[HttpRequest], HttpResponse | None]


def _never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the direct handler calls middleware hooks, never the chain")


class _Cors:
    """CorsMiddleware's two steps as hooks."""

    def __init__(self, middleware: CorsMiddleware) -> None:
        self.process_request = middleware.check_preflight
        self.process_response = middleware.add_response_headers


def _hooks(middleware: Any) -> Any | None:
    """What the handler calls of one middleware; None when it does not know how to call it."""
    kind = type(middleware)
    if isinstance(middleware, MiddlewareMixin) and kind.__call__ is MiddlewareMixin.__call__:
        return middleware
    if kind is CorsMiddleware:
        return _Cors(middleware)
    if kind in (RateLimitHeadersMiddleware, DatabaseUnavailableMiddleware):
        return middleware  # their __call__ is get_response plus these hooks
    return None


def middleware_hooks(paths: Iterable[str]) -> list[Any] | None:
    """The hooks of each middleware, outer to inner; None if one of them cannot be called so."""
    hooks = []
    for path in paths:
        try:
            middleware = import_string(path)(_never_called)
        except MiddlewareNotUsed:
            continue
        found = _hooks(middleware)
        if found is None:
            return None
        hooks.append(found)
    return hooks


class DirectHandler:
    def __init__(
        self, path: str, answer: Answer, fallback: WSGIHandler, middleware: Iterable[str], declined_key: str
    ) -> None:
        """``declined_key``: set in the environ of a request passed on after the answer function
        declined it, so the view does not ask it a second time."""
        self.path, self.answer, self.fallback, self.declined_key = path, answer, fallback, declined_key
        hooks = middleware_hooks(middleware)
        self.enabled = hooks is not None
        hooks = hooks or []
        self.request_hooks = [h.process_request for h in hooks if hasattr(h, "process_request")]
        self.view_hooks = [h.process_view for h in hooks if hasattr(h, "process_view")]
        self.exception_hooks = [h.process_exception for h in reversed(hooks) if hasattr(h, "process_exception")]
        self.response_hooks = [h.process_response for h in reversed(hooks) if hasattr(h, "process_response")]
        self.match = resolve(path) if self.enabled else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not self.enabled or environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self.path:
            return self.fallback(environ, start_response)
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        set_urlconf(settings.ROOT_URLCONF)
        response = self._respond(request)
        if response is None:
            return self._pass_on(environ, request, start_response)
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)  # type: ignore[arg-type]
        response._handler_class = self.__class__  # type: ignore[attr-defined]  # request_finished on close
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return response

    def _respond(self, request: WSGIRequest) -> HttpResponseBase | None:
        """The answer with every hook applied; None when the lean chain must answer instead."""
        assert self.match is not None
        request.resolver_match = self.match
        try:
            for process_request in self.request_hooks:
                if process_request(request) is not None:
                    return None
            for process_view in self.view_hooks:
                if process_view(request, self.match.func, self.match.args, self.match.kwargs) is not None:
                    return None
        except Exception:  # the chain answers it (a disallowed host, ...): nothing was done yet
            return None
        response: HttpResponseBase | None
        request.direct_answer_asked = True  # type: ignore[attr-defined]
        try:
            response = self.answer(request)
        except Exception as exc:
            response = self._exception_response(request, exc)
        if response is None:
            return None
        for process_response in self.response_hooks:
            try:
                response = process_response(request, response)
            except Exception as exc:  # as the chain's layer around that middleware would answer
                response = response_for_exception(request, exc)
        return response

    def _exception_response(self, request: WSGIRequest, exc: Exception) -> HttpResponseBase:
        for process_exception in self.exception_hooks:
            response = process_exception(request, exc)
            if response is not None:
                return response  # type: ignore[no-any-return]
        return response_for_exception(request, exc)

    def _pass_on(self, environ: dict[str, Any], request: WSGIRequest, start_response: Callable[..., Any]) -> Any:
        body = getattr(request, "_body", None)
        if body is not None:  # the answer function read it: the chain reads it again
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        if getattr(request, "direct_answer_asked", False):
            environ[self.declined_key] = True
        return self.fallback(environ, start_response)
