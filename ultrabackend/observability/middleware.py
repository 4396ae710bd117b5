"""The first middleware: binds the request id and counts the request for ``/metrics``.

A ``MiddlewareMixin`` with request/response hooks only."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.deprecation import MiddlewareMixin

from ultrabackend.observability import metrics
from ultrabackend.observability.context import REQUEST_ID_HEADER, accept_request_id, set_request_id

_META_KEY = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


def route_of(request: HttpRequest) -> str:
    """The URL pattern (``api/v1/users/<int:pk>/``), never the raw path: bounded label values."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched"
    return match.route or match.view_name or "unmatched"


# (method, route, status) -> the request counter's and the latency histogram's series. Routes
# and statuses are bounded, so this stays small; it spares prometheus_client's label lookup (a
# lock and the label checks) on every request.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


# A client may send any method token; the label keeps the standard ones and folds the rest into
# "other", so neither the series nor this cache can be grown without bound by requests.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    method = method if method in _METHODS else "other"
    key = (method, route, status)
    series = _SERIES.get(key)
    if series is None:
        series = (metrics.HTTP_REQUESTS.labels(method, route, str(status)), metrics.HTTP_LATENCY.labels(method, route))
        _SERIES[key] = series
    return series


class ObservabilityMiddleware(MiddlewareMixin):
    def process_request(self, request: HttpRequest) -> None:
        request_id = accept_request_id(request.META.get(_META_KEY))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Bound until the request is finished (Django logs a 4xx/5xx after the middleware
        # chain answered; that line carries the id too): see unbind_request_id.
        set_request_id(request_id)
        request._started = time.perf_counter()  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        request_id = getattr(request, "request_id", None)
        if request_id is not None:
            response[REQUEST_ID_HEADER] = request_id
        started = getattr(request, "_started", None)
        if started is not None:
            counted, timed = _series(request.method or "GET", route_of(request), response.status_code)
            counted.inc()
            timed.observe(time.perf_counter() - started)
        return response


def unbind_request_id(**kwargs: Any) -> None:
    """``request_finished``: log lines after the request (the server's own) carry no id."""
    set_request_id(None)
