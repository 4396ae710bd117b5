"""RateLimit-Policy and RateLimit response headers (IETF draft-ietf-httpapi-ratelimit-headers,
structured-field syntax of drafts 08-11) on every throttled endpoint, so a client knows its
quota before it is refused: ``RateLimit-Policy: "player_write";q=120;w=60`` and
``RateLimit: "player_write";r=87;t=33`` (r: requests left, t: seconds until the window resets)."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class RateLimitHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.process_response(request, self.get_response(request))

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["RateLimit-Policy"] = f'"{state.policy}";q={state.limit};w={state.window}'
            response["RateLimit"] = f'"{state.policy}";r={state.remaining};t={max(math.ceil(state.reset), 0)}'
        return response
