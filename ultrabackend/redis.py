"""The shared Redis connection (None when REDIS_URL is not set), behind a circuit breaker.

Redis only ever makes requests faster: when it fails or times out, every Redis use in this
process (cache, sessions, throttles, the rank index) is skipped for ``REDIS_BREAKER_RESET_SECONDS``
and the callers answer from PostgreSQL (they already catch ``REDIS_ERRORS``). Then one call is let
through to try again (pybreaker's half-open state); its success closes the breaker.

- Socket timeouts are short (``REDIS_CONNECT_TIMEOUT`` / ``REDIS_SOCKET_TIMEOUT``, tens of
  milliseconds) and redis-py's own retries are off, so a hung Redis costs one short wait per
  process per reset period, not seconds per request.
- The breaker state is per process (one breaker per Redis URL): it is this worker's local view
  of Redis' health, not request state; each worker finds out for itself within one timeout.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import pybreaker
import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

logger = logging.getLogger(__name__)


class RedisSkipped(redis.ConnectionError):
    """Raised instead of calling Redis while its breaker is open (a ConnectionError, so every
    caller's existing fallback applies)."""


# Errors that mean "Redis is not usable right now": callers fall back to the database.
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, OSError)
# The subset that says Redis is unhealthy (opens the breaker); a script or type error does not.
_OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    OSError,
)


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        log = logger.warning if new_state.name == pybreaker.STATE_OPEN else logger.info
        log("Redis breaker %s: %s -> %s", cb.name, old_state.name if old_state else None, new_state.name)


_BREAKERS: dict[str, pybreaker.CircuitBreaker] = {}


def breaker_for(url: str) -> pybreaker.CircuitBreaker:
    """The process's breaker for one Redis server (shared by the cache and every other client)."""
    breaker = _BREAKERS.get(url)
    if breaker is None:
        breaker = _BREAKERS[url] = pybreaker.CircuitBreaker(
            fail_max=settings.REDIS_BREAKER_FAIL_MAX,
            reset_timeout=settings.REDIS_BREAKER_RESET_SECONDS,
            exclude=[lambda exc: not isinstance(exc, _OUTAGE_ERRORS)],
            listeners=[_LogListener()],
            name=url.rsplit("@", 1)[-1],  # never log a password
            throw_new_error_on_trip=False,  # the tripping call raises its own (Redis) error
        )
    return breaker


def _guarded(breaker: pybreaker.CircuitBreaker | None, func: Any, *args: Any, **kwargs: Any) -> Any:
    if breaker is None:
        return func(*args, **kwargs)
    try:
        return breaker.call(func, *args, **kwargs)
    except pybreaker.CircuitBreakerError:
        raise RedisSkipped(f"Redis skipped for {breaker.reset_timeout:g}s after a failure") from None


class BreakerPipeline(Pipeline):
    breaker: pybreaker.CircuitBreaker | None = None

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        return _guarded(self.breaker, super().execute, raise_on_error)  # type: ignore[no-any-return]

    def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        return _guarded(self.breaker, super().immediate_execute_command, *args, **options)


class BreakerRedis(redis.Redis):
    """redis.Redis whose every command and pipeline passes the breaker."""

    breaker: pybreaker.CircuitBreaker | None = None

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return _guarded(self.breaker, super().execute_command, *args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> BreakerPipeline:
        pipe = BreakerPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.breaker = self.breaker
        return pipe


@functools.cache
def _client(url: str, connect_timeout: float, socket_timeout: float) -> BreakerRedis:
    # One connection pool per process, URL and timeouts; the pool holds connections, not request
    # state. The cache backend (ultrabackend/cache.py) builds its own pool with the same settings.
    pool = redis.ConnectionPool.from_url(
        url,
        socket_connect_timeout=connect_timeout,
        socket_timeout=socket_timeout,
        # redis-py retries 10 times with backoff by default: the breaker decides instead.
        retry=Retry(NoBackoff(), 0),
        retry_on_timeout=False,
    )
    client = BreakerRedis(connection_pool=pool)
    client.breaker = breaker_for(url)
    return client


def get_redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", "")
    return _client(url, settings.REDIS_CONNECT_TIMEOUT, settings.REDIS_SOCKET_TIMEOUT) if url else None


def reset_breakers() -> None:
    """Close every breaker of this process (tests start each case with a healthy Redis view)."""
    for breaker in _BREAKERS.values():
        breaker.close()


def breaker_state(url: str | None = None) -> str:
    """'closed', 'open' or 'half-open' for REDIS_URL (or ``url``)."""
    return str(breaker_for(url or settings.REDIS_URL).current_state)


@functools.cache
def script(client: redis.Redis, source: str) -> Any:
    """A registered Lua script (called by EVALSHA; loaded on first NOSCRIPT), one per client."""
    return client.register_script(source)


def key(*parts: object) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "igo"
    return ":".join([str(prefix), *map(str, parts)])


def redis_status() -> str:
    """'ok', 'not_configured', or 'degraded' (configured but unreachable, or skipped)."""
    client = get_redis()
    if client is None:
        return "not_configured"
    try:
        client.ping()
    except REDIS_ERRORS:
        return "degraded"
    return "ok"
