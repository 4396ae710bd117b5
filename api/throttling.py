"""Rate limits per player, per service key and per client address (sign-in).

A player's writes are counted in PostgreSQL on the player's profile row
(``core/services/xp/write_quota.py``; the xp/add hot path counts inside its own statement). The
other counters live in the default cache: Redis when REDIS_URL is set, so every worker shares them.
Rates are read from settings on each request (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], set from
THROTTLE_* variables). A throttled request is a 429 with ``code`` "throttled", ``retry_after``
and a Retry-After header. If the cache is unreachable the request is let through: losing the
limit for a moment beats refusing every write.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import is_service_key
from core.services.xp import write_quota
from core.utils.dates import utc_now
from ultrabackend.redis import RedisSkipped, get_redis

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitState:
    """The quota that applied to a request: ``limit`` per ``window`` seconds, what is left, and
    the seconds until the window resets."""

    policy: str
    limit: int
    window: int
    remaining: int
    reset: float


class CacheUnavailable(Exception):
    """The throttle's cache could not count a request."""


class _Throttle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        """A fixed-window counter: one INCR per request (one Redis round trip) instead of DRF's
        read-modify-write of a list of timestamps (two round trips, and lost updates under
        concurrency). A window allows at most the rate; a burst across a window edge can reach
        twice the rate for a moment, which is fine for abuse protection."""
        if self.rate is None:
            return True
        base = self.get_cache_key(request, view)
        if base is None:
            return True
        now = time.time()
        bucket = self.bucket(now)
        try:
            count = self.count(request, base, bucket, self.window_seconds)
        except CacheUnavailable as exc:  # the cache (Redis) is down, or skipped by its breaker
            logger.warning(
                "throttle cache unreachable; not limiting", exc_info=not isinstance(exc.__cause__, RedisSkipped)
            )
            return True
        state = self.rate_limit_state(count, bucket, now)
        request._request.rate_limit = state  # type: ignore[attr-defined]  # told by api/ratelimit.py
        if count > state.limit:
            self._wait = state.reset
            return False
        return True

    @property
    def limit(self) -> int:
        return int(self.num_requests)  # type: ignore[attr-defined]

    @property
    def window_seconds(self) -> int:
        return int(self.duration)  # type: ignore[attr-defined]

    def bucket(self, now: float) -> int:
        """The number of the fixed window ``now`` (unix time) falls in."""
        return int(now // self.window_seconds)

    def rate_limit_state(self, count: int, bucket: int, now: float) -> RateLimitState:
        """What the RateLimit-Policy / RateLimit headers tell after ``count`` requests in ``bucket``."""
        reset = (bucket + 1) * self.window_seconds - now
        return RateLimitState(str(self.scope), self.limit, self.window_seconds, max(self.limit - count, 0), reset)

    def count(self, request: Request, base: str, bucket: int, window: int) -> int:
        """Count this request in window ``bucket``; the requests counted in it so far."""
        try:
            return self._increment(f"{base}:{bucket}", window + 1)
        except Exception as exc:
            raise CacheUnavailable() from exc

    def _increment(self, key: str, timeout: int) -> int:
        client = get_redis()
        if client is not None:
            full_key = self.cache.make_and_validate_key(key)
            pipe = client.pipeline(transaction=False)
            pipe.incr(full_key)
            pipe.expire(full_key, timeout, nx=True)
            return int(pipe.execute()[0])
        self.cache.add(key, 0, timeout)
        try:
            return int(self.cache.incr(key))
        except ValueError:  # expired between add and incr: start the window again
            self.cache.add(key, 1, timeout)
            return 1

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)

    def ident_key(self, ident: object) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}

    # The counter's cache key for an ident, e.g. PlayerWriteThrottle().key(user.pk) (tests reset
    # it). DRF later stores the request's key under the same name on the instance.
    key = ident_key  # type: ignore[assignment]


class PlayerWriteThrottle(_Throttle):
    """Writes per player, whatever the client (web session or app token)."""

    scope = "player_write"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if is_service_key(request) or not user.is_authenticated:
            return None
        return self.ident_key(user.pk)

    def count(self, request: Request, base: str, bucket: int, window: int) -> int:
        # In PostgreSQL, on the player's own row (the xp/add hot path counts in its statement).
        return write_quota.count_write(int(request.user.pk), window=bucket, now=utc_now())  # type: ignore[arg-type]


class ServiceKeyWriteThrottle(_Throttle):
    scope = "key_write"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.ident_key(request.auth.prefix) if is_service_key(request) else None  # type: ignore[union-attr]


class ServiceKeyReadThrottle(ServiceKeyWriteThrottle):
    scope = "key_read"


class SignInThrottle(_Throttle):
    """Sign-in and token refresh per client address (they call Discord or mint tokens)."""

    scope = "auth"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.ident_key(self.get_ident(request))
