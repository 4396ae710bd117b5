"""The shared Redis connection (None when REDIS_URL is not set)."""

from __future__ import annotations

import functools
import logging
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Errors that mean "Redis is not usable right now": callers fall back to the database.
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, OSError)


@functools.cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL; the pool holds connections, not request state.
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0, health_check_interval=30)


def get_redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", "")
    return _client(url) if url else None


@functools.cache
def script(client: redis.Redis, source: str) -> Any:
    """A registered Lua script (called by EVALSHA; loaded on first NOSCRIPT), one per client."""
    return client.register_script(source)


def key(*parts: object) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "igo"
    return ":".join([str(prefix), *map(str, parts)])


def redis_status() -> str:
    """'ok', 'not_configured', or 'degraded' (configured but unreachable)."""
    client = get_redis()
    if client is None:
        return "not_configured"
    try:
        client.ping()
    except REDIS_ERRORS:
        return "degraded"
    return "ok"
