"""Talking to Strava through stravalib, with every URL from STRAVA_API_URL / STRAVA_OAUTH_URL.

stravalib builds ``https://www.strava.com/api/v3/...`` and ``https://www.strava.com/oauth/...``
itself; its ``requests_session`` parameter is the seam: the session's transport adapter rewrites
those prefixes to the configured bases before sending (so a stand-in Strava over plain HTTP
needs no TLS) and gives every request a timeout.

Strava's rate limits: every API answer's ``X-RateLimit-*`` and ``X-ReadRateLimit-*`` headers are
read. When a 15-minute window (or the day) is used up, or Strava answers 429, the moment it
resets is remembered in the cache and every call before then raises ``StravaRateLimited`` at
once, without a request; the task queue retries the job at that moment.

Errors are mapped to coded domain errors (core/exceptions.py):
timeout / unreachable / 5xx → StravaUnavailable; 429 → StravaRateLimited; 401 →
StravaAuthorizationRevoked; 404 → StravaObjectNotFound; an unusable body → StravaBadGateway;
a refused authorization code → StravaCodeInvalid.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pydantic
import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter
from stravalib import exc as strava_exc
from stravalib.client import Client
from stravalib.util.limiter import RateLimiter

from core.exceptions import (
    StravaAuthorizationRevoked,
    StravaBadGateway,
    StravaCodeInvalid,
    StravaNotConfigured,
    StravaObjectNotFound,
    StravaRateLimited,
    StravaUnavailable,
)
from core.utils.dates import utc_now
from ultrabackend import crypto

logger = logging.getLogger(__name__)

# stravalib looks for STRAVA_CLIENT_ID / SECRET in the process environment to refresh tokens on
# its own and warns on every client it builds when they are missing. Tokens are refreshed here
# (and stored), so its own refresh is switched off per client and its warnings are not wanted.
os.environ.setdefault("SILENCE_TOKEN_WARNINGS", "true")

STRAVA_API_PREFIX = "https://www.strava.com/api/v3"
STRAVA_OAUTH_PREFIX = "https://www.strava.com/oauth"
SCOPE: Final = "activity:read_all"
WINDOW_SECONDS = 15 * 60
BLOCK_CACHE_KEY = "strava:rate_limit:blocked_until"


def rewrite_url(url: str) -> str:
    """Strava's own URL → the configured base (STRAVA_API_URL / STRAVA_OAUTH_URL)."""
    for prefix, base in (
        (STRAVA_API_PREFIX, settings.STRAVA_API_URL),
        (STRAVA_OAUTH_PREFIX, settings.STRAVA_OAUTH_URL),
    ):
        if url == prefix or url.startswith(prefix + "/") or url.startswith(prefix + "?"):
            return base.rstrip("/") + url[len(prefix) :]
    return url


class StravaURLAdapter(HTTPAdapter):
    """Sends stravalib's requests to the configured bases, each with a timeout."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request.url = rewrite_url(request.url or "")
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = settings.STRAVA_TIMEOUT_SECONDS
        return super().send(request, **kwargs)


def make_session() -> requests.Session:
    session = requests.Session()
    session.mount("https://www.strava.com", StravaURLAdapter())
    return session


# --- rate limits -------------------------------------------------------------------------------


def next_window(now: datetime) -> datetime:
    """The next 15-minute boundary of Strava's short window (:00, :15, :30, :45 UTC)."""
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return start + timedelta(seconds=WINDOW_SECONDS)


def next_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _pairs(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        short, daily = (int(part.strip()) for part in value.split(",")[:2])
    except ValueError:
        return None
    return short, daily


def _reset_for(headers: Any, now: datetime) -> datetime | None:
    """When the used-up window resets, from one answer's usage headers (None: room left)."""
    reset: datetime | None = None
    for family in ("X-RateLimit", "X-ReadRateLimit"):
        limit, usage = _pairs(headers.get(f"{family}-Limit")), _pairs(headers.get(f"{family}-Usage"))
        if limit is None or usage is None:
            continue
        if limit[1] and usage[1] >= limit[1]:
            reset = max(reset or now, next_day(now))
        elif limit[0] and usage[0] >= limit[0]:
            reset = max(reset or now, next_window(now))
    return reset


def block_until(moment: datetime) -> None:
    """No call to Strava before ``moment`` (kept in the shared cache: every worker waits)."""
    seconds = max(int((moment - utc_now()).total_seconds()) + 1, 1)
    cache.set(BLOCK_CACHE_KEY, moment.timestamp(), timeout=seconds)


def blocked_until() -> datetime | None:
    stamp = cache.get(BLOCK_CACHE_KEY)
    if stamp is None:
        return None
    moment = datetime.fromtimestamp(float(stamp), tz=UTC)
    return moment if moment > utc_now() else None


def forget_rate_limit_block() -> None:
    """Drop the remembered reset moment (operators, after Strava raised the app's limits)."""
    cache.delete(BLOCK_CACHE_KEY)


class HeaderRateLimiter(RateLimiter):
    """stravalib's rate-limiter hook, called with every API answer's headers. It never sleeps
    (a worker must not block): a used-up window is remembered and the next call waits for it
    through the task queue."""

    def __call__(self, args: dict[str, str], method: Any) -> None:
        reset = _reset_for(args, utc_now())
        if reset is not None:
            logger.warning("Strava rate limit used up (%s); waiting until %s", args.get("X-RateLimit-Usage"), reset)
            block_until(reset)


# --- calls -------------------------------------------------------------------------------------


def ensure_configured() -> None:
    if not settings.STRAVA_CLIENT_ID or not settings.STRAVA_CLIENT_SECRET or not crypto.is_configured():
        raise StravaNotConfigured()


def client_id() -> int:
    try:
        return int(settings.STRAVA_CLIENT_ID)
    except (TypeError, ValueError):
        raise StravaNotConfigured() from None


def make_client(access_token: str | None = None) -> Client:
    client = Client(access_token=access_token, rate_limiter=HeaderRateLimiter(), requests_session=make_session())
    # Refreshing is done (and stored) by the services; stravalib's own would lose the new token.
    client.protocol.client_id = None
    client.protocol.client_secret = None
    return client


@contextlib.contextmanager
def calling(what: str, *, code_refused: bool = False, api: bool = True) -> Iterator[None]:
    """Run Strava calls, mapping every failure to a coded domain error. API calls (``api``)
    wait for a used-up rate-limit window; OAuth calls (code exchange, refresh, deauthorize)
    are not counted by Strava's API limits and go ahead."""
    waiting = blocked_until() if api else None
    if waiting is not None:
        raise StravaRateLimited(retry_at=waiting)
    try:
        yield
    except strava_exc.AccessUnauthorized:
        raise StravaAuthorizationRevoked() from None
    except strava_exc.ObjectNotFound:
        raise StravaObjectNotFound() from None
    except strava_exc.Fault as fault:
        status = fault.response.status_code if fault.response is not None else 0
        if status == 429:
            reset = blocked_until() or next_window(utc_now())
            block_until(reset)
            raise StravaRateLimited(retry_at=reset) from None
        if status >= 500:
            logger.warning("Strava answered %s to %s", status, what)
            raise StravaUnavailable() from None
        if code_refused and status in (400, 401, 403):
            raise StravaCodeInvalid() from None
        logger.warning("Strava refused %s: %s", what, fault)
        raise StravaBadGateway(f"Strava refused {what}: {fault}") from None
    except requests.exceptions.JSONDecodeError:
        raise StravaBadGateway() from None
    except requests.RequestException:
        logger.warning("Strava unreachable for %s", what, exc_info=True)
        raise StravaUnavailable() from None
    except (KeyError, TypeError, ValueError, pydantic.ValidationError):
        logger.warning("Strava answered %s with an unusable body", what, exc_info=True)
        raise StravaBadGateway() from None


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_at: datetime
    athlete_id: int | None


def _grant(info: Any, athlete_id: int | None = None) -> TokenGrant:
    access, refresh, expires = info["access_token"], info["refresh_token"], info["expires_at"]
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise StravaBadGateway()
    return TokenGrant(access, refresh, datetime.fromtimestamp(int(expires), tz=UTC), athlete_id)


def authorize_url(*, redirect_uri: str, state: str) -> str:
    """Strava's consent page (activity:read_all), sending the browser back to ``redirect_uri``."""
    ensure_configured()
    url = make_client().authorization_url(
        client_id=client_id(), redirect_uri=redirect_uri, scope=[SCOPE], state=state, approval_prompt="auto"
    )
    return rewrite_url(url)


def exchange_code(code: str) -> TokenGrant:
    """Tokens and the athlete for an authorization code; raises StravaCodeInvalid and the rest."""
    ensure_configured()
    client = make_client()
    with calling("the code exchange", code_refused=True, api=False):
        info, athlete = client.exchange_code_for_token(
            client_id=client_id(), client_secret=settings.STRAVA_CLIENT_SECRET, code=code, return_athlete=True
        )
        athlete_id = getattr(athlete, "id", None)
        grant = _grant(info, athlete_id)
    if grant.athlete_id is None:
        with calling("the athlete"):
            athlete_id = make_client(grant.access_token).get_athlete().id
        if athlete_id is None:
            raise StravaBadGateway()
        grant = TokenGrant(grant.access_token, grant.refresh_token, grant.expires_at, int(athlete_id))
    return grant


def refresh(refresh_token: str) -> TokenGrant:
    """New tokens for a refresh token; a refused refresh token → StravaAuthorizationRevoked."""
    ensure_configured()
    try:
        with calling("the token refresh", code_refused=True, api=False):
            info = make_client().refresh_access_token(
                client_id=client_id(), client_secret=settings.STRAVA_CLIENT_SECRET, refresh_token=refresh_token
            )
            return _grant(info)
    except StravaCodeInvalid:
        raise StravaAuthorizationRevoked() from None


def deauthorize(access_token: str) -> None:
    """Ask Strava to drop this app's access for the athlete (raises the coded errors)."""
    with calling("the deauthorization", api=False):
        make_client(access_token).deauthorize()


@dataclass(frozen=True)
class ActivityData:
    """The parts of a Strava activity the import needs (from a detailed or summary activity)."""

    strava_id: int
    athlete_id: int | None
    name: str
    sport_type: str
    activity_type: str
    distance_m: Decimal
    moving_time_s: int
    manual: bool
    start_date: datetime | None


def _root(value: Any) -> str:
    root = getattr(value, "root", value)
    return str(root) if root else ""


def activity_data(activity: Any) -> ActivityData:
    if activity.id is None:
        raise StravaBadGateway()
    distance = activity.distance if activity.distance is not None else 0
    athlete = getattr(activity, "athlete", None)
    return ActivityData(
        strava_id=int(activity.id),
        athlete_id=int(athlete.id) if athlete is not None and athlete.id is not None else None,
        name=str(activity.name or "")[:255],
        sport_type=_root(activity.sport_type),
        activity_type=_root(activity.type),
        distance_m=Decimal(str(float(distance))).quantize(Decimal("0.1")),
        moving_time_s=int(activity.moving_time or 0),
        manual=bool(activity.manual),
        start_date=activity.start_date,
    )


def get_activity(access_token: str, strava_id: int) -> ActivityData:
    with calling(f"activity {strava_id}"):
        return activity_data(make_client(access_token).get_activity(strava_id))


def get_athlete_id(access_token: str) -> int:
    """The athlete the token belongs to (proves the token still works)."""
    with calling("the athlete"):
        athlete = make_client(access_token).get_athlete()
        if athlete.id is None:
            raise StravaBadGateway()
        return int(athlete.id)


def list_activities(access_token: str, *, after: datetime) -> list[ActivityData]:
    """The athlete's activities that started after ``after`` (every page)."""
    with calling("the athlete's activities"):
        return [activity_data(a) for a in make_client(access_token).get_activities(after=after)]


# --- push subscriptions (the webhook) ---------------------------------------------------------


def create_subscription(callback_url: str) -> dict[str, Any]:
    ensure_configured()
    with calling("the subscription"):
        sub = make_client().create_subscription(
            client_id=client_id(),
            client_secret=settings.STRAVA_CLIENT_SECRET,
            callback_url=callback_url,
            verify_token=settings.STRAVA_VERIFY_TOKEN,
        )
        return sub.model_dump(mode="json")


def list_subscriptions() -> list[dict[str, Any]]:
    ensure_configured()
    with calling("the subscriptions"):
        subs = make_client().list_subscriptions(client_id=client_id(), client_secret=settings.STRAVA_CLIENT_SECRET)
        return [s.model_dump(mode="json") for s in subs]


def delete_subscription(subscription_id: int) -> None:
    ensure_configured()
    with calling("the subscription"):
        make_client().delete_subscription(
            subscription_id=subscription_id, client_id=client_id(), client_secret=settings.STRAVA_CLIENT_SECRET
        )
