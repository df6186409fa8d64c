"""A small per-process cache with expiry for the API's hot paths.

Kept on the Flask app (``app.extensions``), not in a module global, so each app (and each
gunicorn worker) has its own. Entries live ``ttl_s`` seconds; a full cache is emptied rather
than evicted one by one (the working set is small: tokens in use, pairs asked for).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
MAX_ENTRIES = 4096
_MISSING = object()


def cached(name: str, key: Hashable, ttl_s: float, compute: Callable[[], T],
           keep: Callable[[T], bool] = lambda _value: True) -> T:
    """``compute()``'s value for ``key``, reused for ``ttl_s`` seconds when ``keep(value)``."""
    if ttl_s <= 0:
        return compute()
    store: dict[tuple[str, Hashable], tuple[float, object]] = \
        current_app.extensions.setdefault("foresight_ttl_cache", {})
    now = time.monotonic()
    expires, value = store.get((name, key), (0.0, _MISSING))
    if value is not _MISSING and expires > now:
        return value  # type: ignore[return-value]
    fresh = compute()
    if keep(fresh):
        if len(store) >= MAX_ENTRIES:
            store.clear()
        store[(name, key)] = (now + ttl_s, fresh)
    return fresh
