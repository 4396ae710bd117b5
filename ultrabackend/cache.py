"""Django's Redis cache, reusing one client object per connection pool, behind the Redis breaker.

Django's RedisCacheClient builds a new ``redis.Redis`` around the pool on every cache call;
measured at about 6 % of an xp/add request (docs/benchmarks.md). The client object holds no
request state (the pool hands out connections), so one per pool is safe.

Every cache call passes the process's Redis circuit breaker (``ultrabackend/redis.py``): after a
failure or a timeout the cache raises ``RedisSkipped`` (a ``redis.ConnectionError``) at once for
a few seconds instead of waiting on a hung server. redis-py's own retries are off.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from ultrabackend.redis import BreakerRedis, breaker_for


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._pool_options.setdefault("retry", Retry(NoBackoff(), 0))  # type: ignore[attr-defined]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = BreakerRedis(connection_pool=pool)
            client.breaker = breaker_for(self._servers[index])  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
