"""App tokens (mobile and other native clients): a short-lived access JWT and a refresh JWT.

- HS256 with JWT_SIGNING_KEY; claims ``sub`` (user id), ``typ`` (access/refresh), ``jti``,
  ``iat``, ``exp``, ``iss``.
- An access token is checked per request by signature and expiry, plus one read of the user
  (an inactive user is refused at once: that is how an admin revokes every token of a player).
- Refresh rotates: each refresh token works once; its ``jti`` is recorded in PostgreSQL
  (``apptokens.UsedRefreshToken``, works with Redis down) until it would have expired. Using it
  again is ``token_revoked``. Logout marks the refresh token used the same way.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction

from apptokens.models import UsedRefreshToken
from core.exceptions import AccountCannotSignIn, AppTokenExpired, AppTokenRevoked, InvalidAppToken
from users.models import CustomUser

ALGORITHM = "HS256"
ISSUER = "igoultra"


@dataclass(frozen=True)
class AppToken:
    """request.auth for a Bearer caller."""

    user_id: int
    jti: str
    expires_at: int


def issue_pair(user: CustomUser, *, access_ttl: int | None = None) -> dict[str, Any]:
    """An access and a refresh token; ``access_ttl`` overrides JWT_ACCESS_TTL_SECONDS (``dev_token``'s
    long-lived local token)."""
    now = int(time.time())
    access_ttl = access_ttl or settings.JWT_ACCESS_TTL_SECONDS
    refresh_ttl = settings.JWT_REFRESH_TTL_SECONDS
    return {
        "access": _encode(user.pk, "access", now, access_ttl),
        "refresh": _encode(user.pk, "refresh", now, refresh_ttl),
        "token_type": "Bearer",
        "expires_in": access_ttl,
        "refresh_expires_in": refresh_ttl,
    }


def decode(token: str, *, typ: str) -> AppToken:
    """The claims of a valid ``typ`` token; raises InvalidAppToken (token_invalid / token_expired)."""
    try:
        claims = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "typ", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise AppTokenExpired() from None
    except jwt.PyJWTError:
        raise InvalidAppToken() from None
    if claims.get("typ") != typ or not str(claims.get("sub", "")).isdigit():
        raise InvalidAppToken()
    return AppToken(user_id=int(claims["sub"]), jti=str(claims["jti"]), expires_at=int(claims["exp"]))


def rotate(refresh_token: str) -> tuple[CustomUser, dict[str, Any]]:
    """A new token pair for a refresh token, which is used up; raises InvalidAppToken."""
    claims = decode(refresh_token, typ="refresh")
    if not _use_once(claims):
        raise AppTokenRevoked()
    user = CustomUser.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None:
        raise AccountCannotSignIn()
    return user, issue_pair(user)


def revoke(refresh_token: str) -> None:
    """Use up a refresh token (logout); an invalid or expired one is already useless."""
    try:
        claims = decode(refresh_token, typ="refresh")
    except InvalidAppToken:
        return
    _use_once(claims)


def _encode(user_id: int, typ: str, now: int, ttl: int) -> str:
    payload = {"sub": str(user_id), "typ": typ, "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl, "iss": ISSUER}
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=ALGORITHM)


def _use_once(claims: AppToken) -> bool:
    """True the first time a token is used: of two racing refreshes only one inserts the row."""
    expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
    try:
        with transaction.atomic():
            UsedRefreshToken.objects.create(jti=claims.jti, expires_at=expires_at)
    except IntegrityError:
        return False
    return True
