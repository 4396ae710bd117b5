"""Talking to Discord: authorize URL, code exchange, and who the token belongs to.

Every URL derives from ``settings.DISCORD_API_URL`` (a stand-in Discord serves tests and
staging). allauth's Discord provider parses the identity (uid, extra data, verified email); its
stock adapter reads ``users/@me`` without looking at the status, so an error body surfaced as a
KeyError (a 500). Here every Discord answer is checked first and mapped to a coded error:

- Discord refuses the code / token          -> 400 discord_code_invalid / discord_token_invalid
- Discord unreachable, timing out, or 429    -> 503 discord_unavailable
- Discord 5xx or an unusable body            -> 502 discord_bad_gateway
- Discord refuses our client id/secret       -> 502 discord_client_rejected
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
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
    InvalidDiscordId,
)
from core.services.accounts.user_service import DiscordIdentity, validate_discord_id
from core.utils.dates import utc_now
from core.utils.headers import is_header_safe

logger = logging.getLogger(__name__)
CDN_URL = "https://cdn.discordapp.com"


def api_url(path: str) -> str:
    return f"{settings.DISCORD_API_URL}{path}"


class SettingsDiscordAdapter(DiscordOAuth2Adapter):
    """allauth's Discord adapter with URLs from DISCORD_API_URL and a checked users/@me call."""

    @property  # type: ignore[override]
    def access_token_url(self) -> str:
        return api_url("/oauth2/token")

    @property  # type: ignore[override]
    def authorize_url(self) -> str:
        return api_url("/oauth2/authorize")

    @property  # type: ignore[override]
    def profile_url(self) -> str:
        return api_url("/users/@me")

    def complete_login(self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any) -> Any:
        data = _call(
            "GET", self.profile_url, refused=DiscordTokenInvalid, headers={"Authorization": f"Bearer {token.token}"}
        )
        if not isinstance(data, dict) or "id" not in data:
            raise DiscordBadGateway()
        return self.get_provider().sociallogin_from_response(request, data)


def ensure_configured() -> None:
    if not settings.DISCORD_CLIENT_ID or not settings.DISCORD_CLIENT_SECRET:
        raise DiscordNotConfigured()


def authorize_url(*, redirect_uri: str, state: str) -> str:
    """Discord's consent page for this app, sending the browser back to ``redirect_uri``."""
    ensure_configured()
    query = urlencode(
        {
            "client_id": settings.DISCORD_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(settings.DISCORD_SCOPES),
            "state": state,
            "prompt": "none",
        }
    )
    return f"{api_url('/oauth2/authorize')}?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> str:
    """Discord's access token for an authorization ``code``; raises the coded errors above."""
    ensure_configured()
    data = _call(
        "POST",
        api_url("/oauth2/token"),
        refused=DiscordCodeInvalid,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": settings.DISCORD_CLIENT_ID,
            "client_secret": settings.DISCORD_CLIENT_SECRET,
        },
    )
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise DiscordBadGateway()
    return token


def ensure_token_is_ours(*, access_token: str) -> None:
    """Refuse a token Discord issued to another application (token substitution: a token a
    player gave some other Discord app must not sign them in here). Only tokens a client sends
    need this; a token from our own code exchange is ours by construction."""
    ensure_configured()
    data = _call(
        "GET", api_url("/oauth2/@me"), refused=DiscordTokenInvalid, headers={"Authorization": f"Bearer {access_token}"}
    )
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


def _retry_at(response: requests.Response, body: Any) -> datetime | None:
    """When Discord's 429 says to try again: ``retry_after`` (seconds, in the body) or the
    ``Retry-After`` header; None when it says neither usably."""
    hint = body.get("retry_after") if isinstance(body, dict) else None
    if hint is None:
        hint = response.headers.get("Retry-After")
    try:
        seconds = float(hint)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return utc_now() + timedelta(seconds=min(seconds, 3600))


def _call(method: str, url: str, *, refused: type[Exception], **kwargs: Any) -> Any:
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    if not all(is_header_safe(value) for value in headers.values()):
        raise refused()  # no such token can be valid: refused as Discord would
    try:
        response = requests.request(method, url, timeout=settings.DISCORD_TIMEOUT_SECONDS, headers=headers, **kwargs)
    except requests.RequestException:
        logger.warning("Discord unreachable: %s %s", method, url, exc_info=True)
        raise DiscordUnavailable() from None
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if status == 200:
        if body is None:
            raise DiscordBadGateway()
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if status == 429:
        raise DiscordUnavailable(retry_at=_retry_at(response, body))
    if error == "invalid_client":
        logger.error("Discord refused our client credentials (DISCORD_CLIENT_ID / DISCORD_CLIENT_SECRET)")
        raise DiscordClientRejected()
    if 400 <= status < 500:
        raise refused()
    logger.warning("Discord answered %s to %s %s", status, method, url)
    raise DiscordBadGateway()
