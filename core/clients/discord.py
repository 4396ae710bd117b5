"""The one client for Discord's REST API: OAuth (authorize URL, code exchange, token refresh
and revoke, who a token belongs to), bot calls, channel and webhook messages, Linked Roles
metadata, CDN images. Every URL derives from ``settings.DISCORD_API_URL`` (a stand-in Discord
serves tests and staging); every request goes through ``call`` and every 429 is read by one
parser, ``retry_after``.

``call`` sorts failures for the task queue (community/retry.py):

- 429                          -> RateLimited (``retry_after`` seconds)
- timeout, unreachable, 5xx    -> Unavailable (retried with backoff)
- any other 4xx                -> Rejected (not retried: dropped and logged by the caller)
- 2xx with a body that is not JSON where JSON is needed -> Unavailable

Sign-in (``exchange_code``, ``ensure_token_is_ours``, ``identity_for``) turns them into coded
errors for the API instead; allauth's Discord provider parses the identity (its stock adapter
read ``users/@me`` without looking at the status, so an error body surfaced as a 500):

- Discord refuses the code / token          -> 400 discord_code_invalid / discord_token_invalid
- Discord unreachable, timing out, or 429    -> 503 discord_unavailable (Retry-After from its 429)
- Discord 5xx or an unusable body            -> 502 discord_bad_gateway
- Discord refuses our client id/secret       -> 502 discord_client_rejected
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialToken
from allauth.socialaccount.providers.discord.views import DiscordOAuth2Adapter
from django.conf import settings
from django.http import HttpRequest

from core.exceptions import (
    DiscordBadGateway,
    DiscordClientRejected,
    DiscordCodeInvalid,
    DiscordNotConfigured,
    DiscordTokenInvalid,
    DiscordUnavailable,
    DomainError,
    InvalidDiscordId,
)
from core.services.accounts.user_service import DiscordIdentity, validate_discord_id
from core.utils.dates import utc_now
from core.utils.headers import is_header_safe
from ultrabackend.observability import metrics

logger = logging.getLogger(__name__)
CDN_URL = "https://cdn.discordapp.com"
RETRY_AFTER_MAX_SECONDS = 3600.0


# --- transport --------------------------------------------------------------------------------


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
    sent = {"Accept": "application/json", "User-Agent": "iGoUltra", **(headers or {})}
    if not all(is_header_safe(value) for value in sent.values()):
        # A token with a control or non-ASCII character (a mistyped DISCORD_BOT_TOKEN, a forged
        # access token): sending it could split the header; no retry can fix it.
        raise Rejected(f"a header value for {method} {path} is not printable ASCII")
    try:
        response = requests.request(
            method, url(path), json=json, data=data, headers=sent, timeout=settings.DISCORD_TIMEOUT_SECONDS
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
            f"Discord rate limit on {method} {path}", retry_after=retry_after(response.headers, body), body=body
        )
    if status >= 500:
        raise Unavailable(f"Discord answered {status} to {method} {path}", status=status, body=body)
    if status >= 400:
        raise Rejected(f"Discord refused {method} {path} with {status}: {body!r}"[:500], status=status, body=body)
    if response.content and body is None:
        raise Unavailable(f"Discord answered {method} {path} with something that is not JSON", status=status)
    return body


def retry_after(headers: Mapping[str, str], body: Any) -> float:
    """Seconds a 429 says to wait: the JSON ``retry_after``, else the ``Retry-After`` header, else
    ``X-RateLimit-Reset-After``; the first finite, non-negative one, at most an hour; 1 s when
    none is usable. ``headers``: any client's (requests here, httpx in the Discord pump)."""
    candidates: list[Any] = [body.get("retry_after")] if isinstance(body, dict) else []
    candidates += [headers.get("Retry-After"), headers.get("X-RateLimit-Reset-After")]
    for value in candidates:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return min(seconds, RETRY_AFTER_MAX_SECONDS)
    return 1.0


def count_request(method: str, path: str, status: str) -> None:
    """``igo_discord_requests_total``: the route with its ids as ``{id}`` and a webhook's or an
    interaction's token as ``{token}`` (bounded labels, no secret in the metrics)."""
    route = re.sub(r"^/webhooks/(\d+)/[^/]+", r"/webhooks/\1/{token}", path.split("?", 1)[0])
    route = re.sub(r"/\d+", "/{id}", route)
    metrics.DISCORD_CALLS.labels(f"{method} {route}", status).inc()


CDN_IMAGE_MAX_BYTES = 2_000_000


def cdn_image(path: str) -> bytes:
    """An image from Discord's CDN (``DISCORD_CDN_URL + path``), within
    ``DISCORD_CDN_TIMEOUT_SECONDS``. Callers build ``path`` from Discord ids and hashes only:
    no URL a user supplied is ever fetched. Raises Unavailable or Rejected like ``call``."""
    try:
        response = requests.get(
            f"{settings.DISCORD_CDN_URL}{path}",
            headers={"User-Agent": "iGoUltra", "Accept": "image/png"},
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


# --- OAuth: authorize, tokens -----------------------------------------------------------------


def ensure_configured() -> None:
    if not settings.DISCORD_CLIENT_ID or not settings.DISCORD_CLIENT_SECRET:
        raise DiscordNotConfigured()


def authorize_url(*, redirect_uri: str, state: str, scopes: Any = None, prompt: str = "none") -> str:
    """Discord's consent page for this app, sending the browser back to ``redirect_uri``."""
    query = urlencode(
        {
            "client_id": settings.DISCORD_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(settings.DISCORD_SCOPES if scopes is None else scopes),
            "state": state,
            "prompt": prompt,
        }
    )
    return f"{url('/oauth2/authorize')}?{query}"


def token_request(form: dict[str, str]) -> dict[str, Any]:
    """Discord's token answer for a grant (``authorization_code`` or ``refresh_token``), with
    ``access_token``, ``refresh_token`` and ``expires_in`` (3600 when missing). Raises the
    transport errors; an answer without tokens is Unavailable."""
    body = call(
        "POST",
        "/oauth2/token",
        data={**form, "client_id": settings.DISCORD_CLIENT_ID, "client_secret": settings.DISCORD_CLIENT_SECRET},
    )
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and body.get(k) for k in ("access_token", "refresh_token")
    ):
        raise Unavailable("a token answer without tokens", status=200)
    if not isinstance(body.get("expires_in"), int):
        body["expires_in"] = 3600
    return body


def exchange_tokens(*, code: str, redirect_uri: str) -> dict[str, Any]:
    """The token answer for an authorization ``code`` (raises the transport errors)."""
    return token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})


def refresh_tokens(refresh_token: str) -> dict[str, Any]:
    return token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})


def revoke_token(token: str, hint: str) -> None:
    call(
        "POST",
        "/oauth2/token/revoke",
        data={
            "token": token,
            "token_type_hint": hint,
            "client_id": settings.DISCORD_CLIENT_ID,
            "client_secret": settings.DISCORD_CLIENT_SECRET,
        },
    )


def whoami(access_token: str) -> dict[str, Any]:
    """``users/@me`` for a token (raises the transport errors; no id is Unavailable)."""
    body = call("GET", "/users/@me", headers={"Authorization": f"Bearer {access_token}"})
    if not isinstance(body, dict) or "id" not in body:
        raise Unavailable("users/@me without an id", status=200)
    return body


def put_role_connection(access_token: str, body: dict[str, Any]) -> None:
    """Linked Roles: the player's role connection (metadata) for this app."""
    call(
        "PUT",
        f"/users/@me/applications/{application_id()}/role-connection",
        json=body,
        headers={"Authorization": f"Bearer {access_token}"},
    )


# --- sign-in: the same calls, as coded API errors -----------------------------------------------


@contextmanager
def coded_errors(refused: type[DomainError]) -> Iterator[None]:
    """Turn ``call``'s failures into the API's coded errors (see the module's docstring)."""
    try:
        yield
    except RateLimited as exc:
        raise DiscordUnavailable(retry_at=utc_now() + timedelta(seconds=exc.retry_after)) from None
    except Rejected as exc:
        if isinstance(exc.body, dict) and exc.body.get("error") == "invalid_client":
            logger.error("Discord refused our client credentials (DISCORD_CLIENT_ID / DISCORD_CLIENT_SECRET)")
            raise DiscordClientRejected() from None
        raise refused() from None
    except Unavailable as exc:
        if exc.status is None:  # unreachable or timing out
            logger.warning("Discord unreachable: %s", exc)
            raise DiscordUnavailable() from None
        logger.warning("%s", exc)
        raise DiscordBadGateway() from None


class SettingsDiscordAdapter(DiscordOAuth2Adapter):
    """allauth's Discord adapter with URLs from DISCORD_API_URL and a checked users/@me call."""

    @property  # type: ignore[override]
    def access_token_url(self) -> str:
        return url("/oauth2/token")

    @property  # type: ignore[override]
    def authorize_url(self) -> str:
        return url("/oauth2/authorize")

    @property  # type: ignore[override]
    def profile_url(self) -> str:
        return url("/users/@me")

    def complete_login(self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any) -> Any:
        with coded_errors(DiscordTokenInvalid):
            data = call("GET", "/users/@me", headers={"Authorization": f"Bearer {token.token}"})
        if not isinstance(data, dict) or "id" not in data:
            raise DiscordBadGateway()
        return self.get_provider().sociallogin_from_response(request, data)


def exchange_code(*, code: str, redirect_uri: str) -> str:
    """Discord's access token for an authorization ``code``; raises the coded errors above."""
    ensure_configured()
    with coded_errors(DiscordCodeInvalid):
        return str(exchange_tokens(code=code, redirect_uri=redirect_uri)["access_token"])


def ensure_token_is_ours(*, access_token: str) -> None:
    """Refuse a token Discord issued to another application (token substitution: a token a
    player gave some other Discord app must not sign them in here). Only tokens a client sends
    need this; a token from our own code exchange is ours by construction."""
    ensure_configured()
    with coded_errors(DiscordTokenInvalid):
        data = call("GET", "/oauth2/@me", headers={"Authorization": f"Bearer {access_token}"})
    application = data.get("application") if isinstance(data, dict) else None
    if not isinstance(application, dict):
        raise DiscordBadGateway()
    if str(application.get("id")) != str(settings.DISCORD_CLIENT_ID):
        raise DiscordTokenInvalid()


def identity_for(request: HttpRequest, *, access_token: str) -> DiscordIdentity:
    """Who ``access_token`` belongs to, read from users/@me through allauth's provider."""
    ensure_configured()
    provider = get_adapter().get_provider(request, "discord")
    sociallogin = SettingsDiscordAdapter(request).complete_login(request, provider.app, SocialToken(token=access_token))
    data = sociallogin.account.extra_data
    try:
        discord_id = validate_discord_id(sociallogin.account.uid)
    except InvalidDiscordId:
        raise DiscordBadGateway() from None
    username = str(data.get("username") or "")[:150]
    verified = [e.email for e in sociallogin.email_addresses if e.verified]
    return DiscordIdentity(
        discord_id=discord_id,
        username=username,
        display_name=str(data.get("global_name") or username)[:100],
        avatar_url=avatar_url(discord_id, data.get("avatar")),
        email=verified[0] if verified else "",
        email_verified=bool(verified),
        extra_data=data,
    )


def avatar_url(discord_id: str, avatar: object) -> str:
    if isinstance(avatar, str) and avatar:
        ext = "gif" if avatar.startswith("a_") else "png"
        return f"{CDN_URL}/avatars/{discord_id}/{avatar}.{ext}"
    # Discord's default avatar for accounts without one (new username system).
    return f"{CDN_URL}/embed/avatars/{(int(discord_id) >> 22) % 6}.png"
