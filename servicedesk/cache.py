"""A Redis cache that never takes a page down with it.

Redis only speeds things up here (docs/decisions.md): when it is unreachable,
reads miss and writes are dropped, with a warning in the log, instead of a
500 on every page that caches something.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _tolerant(method: Callable[..., Any], fallback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("Redis cache unavailable (%s): %s", method.__name__, exc)
            return fallback(*args, **kwargs)

    return wrapper


class TolerantRedisCacheClient(RedisCacheClient):
    pass


_FALLBACKS: dict[str, Callable[..., Any]] = {
    "get": lambda self, key, default: default,
    "get_many": lambda self, keys: {},
    "has_key": lambda self, key: False,
    "set": lambda *a, **k: None,
    "set_many": lambda *a, **k: [],
    "add": lambda *a, **k: False,
    "touch": lambda *a, **k: False,
    "delete": lambda *a, **k: False,
    "delete_many": lambda *a, **k: None,
    "clear": lambda *a, **k: False,
}
for _name, _fallback in _FALLBACKS.items():
    setattr(
        TolerantRedisCacheClient,
        _name,
        _tolerant(getattr(RedisCacheClient, _name), _fallback),
    )


class TolerantRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient
