"""flask-caching for data and figures: Redis (cache db) when Redis is configured, files in
``var_dir/cache/web`` in fallback mode.

Keys are built from everything the value depends on, including the data's own version (last
bar timestamp, row count), so new bars make a new key and nothing needs invalidating.
``cached_value`` calls ``get``/``set`` directly, which raise on backend errors
(flask-caching#217): they are caught here so a Redis outage slows pages down but never breaks
them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from flask_caching import Cache

from ml.settings import CoreSettings, load_settings
from webapp.settings import WebSettings
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)

EXTENSION_KEY = "foresight_cache"
KEY_PREFIX = "foresight:web:"
T = TypeVar("T")


def cache_config(web: WebSettings, worker: WorkerSettings, core: CoreSettings) -> dict[str, Any]:
    """flask-caching configuration for the current mode (class names, per flask-caching docs)."""
    common = {"CACHE_DEFAULT_TIMEOUT": web.cache_timeout_s, "CACHE_KEY_PREFIX": KEY_PREFIX}
    if worker.mode == "redis":
        return {**common, "CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": worker.redis_db_url(worker.cache_db),
                "CACHE_OPTIONS": {"socket_timeout": worker.broker_timeout_s,
                                  "socket_connect_timeout": worker.broker_timeout_s}}
    cache_dir = core.var_dir / "cache" / "web"
    cache_dir.mkdir(parents=True, exist_ok=True)
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(cache_dir),
            "CACHE_THRESHOLD": 500}


def init_cache(server: Flask, web: WebSettings, worker: WorkerSettings,
               core: CoreSettings) -> Cache:
    """Attach the cache to ``server`` (one per app, kept in ``server.extensions``)."""
    config = cache_config(web, worker, core)
    cache = Cache(config=config)
    cache.init_app(server)
    server.extensions[EXTENSION_KEY] = cache
    logger.info("web cache: %s", config["CACHE_TYPE"])
    return cache


def current_cache() -> Cache | None:
    """The running app's cache, or None outside an app (scripts, plain unit tests).

    Attached on first use from the settings, so the app factory needs no extra step.
    """
    if not has_app_context():
        return None
    cache = current_app.extensions.get(EXTENSION_KEY)
    if isinstance(cache, Cache):
        return cache
    from webapp import services

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return init_cache(app, load_settings(WebSettings), services.worker_settings(),
                      services.core_settings())


def make_key(namespace: str, *parts: object) -> str:
    """A short stable key: the namespace readable, the parts hashed."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"{namespace}:{digest}"


def cached_value(key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
    """``compute()`` once per key while it stays in the cache; backend errors fall through."""
    cache = current_cache()
    if cache is None:
        return compute()
    try:
        hit = cache.get(key)
    except Exception as error:  # noqa: BLE001 - any backend failure means "miss", logged
        logger.warning("cache read failed for %s: %s", key, error)
        hit = None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - a failed write only costs a recompute
        logger.warning("cache write failed for %s: %s", key, error)
    return value
