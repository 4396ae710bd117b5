"""Where the browser may be sent back to after a sign-in or a link flow (Discord, Strava): one
rule for every area of the API."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from core.exceptions import InvalidNext


def safe_next(value: str | None) -> str:
    """Where to send the browser after sign-in: FRONTEND_URL, a path on it, or a URL on an
    allowed origin. Raises InvalidNext."""
    frontend = settings.FRONTEND_URL
    if not value:
        return frontend + "/"
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return frontend + value
    parts = urlsplit(value)
    origin = f"{parts.scheme}://{parts.netloc}"
    allowed = {o.rstrip("/") for o in [frontend, *settings.AUTH_ALLOWED_REDIRECT_ORIGINS]}
    if parts.scheme in ("http", "https") and origin in allowed and "\\" not in value:
        return value
    raise InvalidNext()
