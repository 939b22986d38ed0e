"""The Redis cache backend, with one client per connection pool instead of one per call,
and without memcached's key checks.

Django's RedisCacheClient builds a new redis-py client object for every cache operation, and
redis-py fills a table of about 170 response callbacks for each: half a millisecond per call,
several calls per page. A redis-py client is safe to share between threads (it takes a
connection from its pool for each command), so each pool's client is built once.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The private helpers are Django's own (django-stubs does not declare them).
        base: Any = self
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = base._get_connection_pool(write)
            client = self._clients[index] = base._client(connection_pool=pool)
        return client


class PortalRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def validate_key(self, key: str) -> None:
        """Redis takes any key: skip Django's memcached-compatibility scan of every key's
        characters (a page reading 50 cached rows scanned 50 keys for nothing)."""
