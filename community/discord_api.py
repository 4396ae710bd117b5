"""Discord's REST API for the community features (bot calls, webhooks, OAuth tokens, role
connections). Every URL starts with DISCORD_API_URL.

Failures are sorted for the task queue (community/retry.py):

- 429                          -> RateLimited (``retry_after`` from the JSON body or Retry-After)
- timeout, unreachable, 5xx    -> Unavailable (retried with backoff)
- any other 4xx                -> Rejected (not retried: dropped and logged by the caller)
- 2xx with a body that is not JSON where JSON is needed -> Unavailable
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import requests
from django.conf import settings

from core.utils.headers import is_header_safe
from ultrabackend.observability import metrics

logger = logging.getLogger(__name__)


class DiscordError(Exception):
    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class RateLimited(DiscordError):
    def __init__(self, message: str, *, retry_after: float, status: int = 429, body: Any = None) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class Unavailable(DiscordError):
    pass


class Rejected(DiscordError):
    pass


def application_id() -> str:
    return str(settings.DISCORD_APPLICATION_ID or settings.DISCORD_CLIENT_ID)


def url(path: str) -> str:
    return f"{settings.DISCORD_API_URL}{path}"


def bot_headers() -> dict[str, str]:
    return {"Authorization": f"Bot {settings.DISCORD_BOT_TOKEN}"}


def call(
    method: str,
    path: str,
    *,
    json: Any = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """One request to ``DISCORD_API_URL + path``; the JSON answer (None for 204 / empty)."""
    target = url(path)
    sent = {"Accept": "application/json", "User-Agent": "iGoUltra (community)", **(headers or {})}
    if not all(is_header_safe(value) for value in sent.values()):
        # A token with a control or non-ASCII character (a mistyped DISCORD_BOT_TOKEN): sending it
        # could split the header; no retry can fix it.
        raise Rejected(f"a header value for {method} {path} is not printable ASCII")
    try:
        response = requests.request(
            method,
            target,
            json=json,
            data=data,
            headers=sent,
            timeout=settings.DISCORD_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        count_request(method, path, "error")
        raise Unavailable(f"Discord unreachable: {method} {path}: {exc.__class__.__name__}") from None
    count_request(method, path, str(response.status_code))
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    status = response.status_code
    if status == 429:
        raise RateLimited(
            f"Discord rate limit on {method} {path}", retry_after=retry_after_seconds(response.headers, body), body=body
        )
    if status >= 500:
        raise Unavailable(f"Discord answered {status} to {method} {path}", status=status, body=body)
    if status >= 400:
        raise Rejected(f"Discord refused {method} {path} with {status}: {body!r}"[:500], status=status, body=body)
    if response.content and body is None:
        raise Unavailable(f"Discord answered {method} {path} with something that is not JSON", status=status)
    return body


def count_request(method: str, path: str, status: str) -> None:
    """``igo_discord_requests_total``: the route with its ids as ``{id}`` and a webhook's or an
    interaction's token as ``{token}`` (bounded labels, no secret in the metrics)."""
    route = re.sub(r"^/webhooks/(\d+)/[^/]+", r"/webhooks/\1/{token}", path.split("?", 1)[0])
    route = re.sub(r"/\d+", "/{id}", route)
    metrics.DISCORD_CALLS.labels(f"{method} {route}", status).inc()


def retry_after_seconds(headers: Mapping[str, str], body: Any) -> float:
    """Seconds a 429 asks to wait: the JSON ``retry_after``, else the Retry-After header, else
    X-RateLimit-Reset-After, else 1 s (at most an hour). Any client's headers (requests, httpx)."""
    candidates: list[Any] = []
    if isinstance(body, dict):
        candidates.append(body.get("retry_after"))
    candidates += [headers.get("Retry-After"), headers.get("X-RateLimit-Reset-After")]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return min(seconds, 3600.0)
    return 1.0


CDN_IMAGE_MAX_BYTES = 2_000_000


def cdn_image(path: str) -> bytes:
    """An image from Discord's CDN (``DISCORD_CDN_URL + path``), within
    ``DISCORD_CDN_TIMEOUT_SECONDS``. Callers build ``path`` from Discord ids and hashes only:
    no URL a user supplied is ever fetched. Raises Unavailable or Rejected like ``call``."""
    try:
        response = requests.get(
            f"{settings.DISCORD_CDN_URL}{path}",
            headers={"User-Agent": "iGoUltra (community)", "Accept": "image/png"},
            timeout=settings.DISCORD_CDN_TIMEOUT_SECONDS,
            stream=True,
        )
        with response:
            if response.status_code >= 500 or response.status_code == 429:
                raise Unavailable(
                    f"Discord's CDN answered {response.status_code} to {path}", status=response.status_code
                )
            if response.status_code != 200:
                raise Rejected(f"Discord's CDN refused {path} with {response.status_code}", status=response.status_code)
            body = response.raw.read(CDN_IMAGE_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise Unavailable(f"Discord's CDN unreachable: {path}: {exc.__class__.__name__}") from None
    if len(body) > CDN_IMAGE_MAX_BYTES:
        raise Rejected(f"Discord's CDN answered {path} with more than {CDN_IMAGE_MAX_BYTES} bytes")
    return body
