"""The web cache: Redis db in redis mode, files in fallback mode, failures fall through."""

from __future__ import annotations

from pathlib import Path

import flask
import pytest

from ml.settings import CoreSettings
from webapp.cache import cache_config, cached_value, current_cache, init_cache, make_key
from webapp.settings import WebSettings
from workers.settings import WorkerSettings


def test_fallback_mode_uses_files_under_var_dir(tmp_path: Path) -> None:
    config = cache_config(WebSettings(), WorkerSettings(redis_url=""),
                          CoreSettings(var_dir=tmp_path))
    assert config["CACHE_TYPE"] == "FileSystemCache"
    assert Path(config["CACHE_DIR"]).is_relative_to(tmp_path)


def test_redis_mode_uses_the_cache_db_not_the_broker_db(tmp_path: Path) -> None:
    worker = WorkerSettings(redis_url="redis://127.0.0.1:6390/0", cache_db=3)
    config = cache_config(WebSettings(), worker, CoreSettings(var_dir=tmp_path))
    assert config["CACHE_TYPE"] == "RedisCache"
    assert config["CACHE_REDIS_URL"].endswith("/3")


def test_cached_value_computes_once_per_key(app_context: flask.Flask) -> None:
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"value": len(calls)}

    key = make_key("test", "a", 1)
    assert cached_value(key, compute) == {"value": 1}
    assert cached_value(key, compute) == {"value": 1}
    assert cached_value(make_key("test", "a", 2), compute) == {"value": 2}
    assert len(calls) == 2
    assert current_cache() is app_context.extensions["foresight_cache"]


def test_redis_cache_round_trip_and_outage(redis_url: str, tmp_path: Path) -> None:
    server = flask.Flask("cache-test")
    worker = WorkerSettings(redis_url=redis_url, cache_db=1)
    init_cache(server, WebSettings(), worker, CoreSettings(var_dir=tmp_path))
    with server.app_context():
        assert cached_value("k", lambda: [1, 2]) == [1, 2]
        assert cached_value("k", lambda: [3]) == [1, 2]  # served from Redis
    dead = flask.Flask("dead-cache")
    init_cache(dead, WebSettings(), WorkerSettings(redis_url="redis://127.0.0.1:9/0",
                                                   broker_timeout_s=0.2),
               CoreSettings(var_dir=tmp_path))
    with dead.app_context():
        # A dead Redis costs a recompute, never an error.
        assert cached_value("k", lambda: "fresh") == "fresh"


@pytest.mark.parametrize("parts", [("a",), ("a", 1), ("a", (1, 2))])
def test_keys_differ_when_parts_differ(parts: tuple[object, ...]) -> None:
    assert make_key("ns", *parts) != make_key("ns", *parts, "x")
    assert make_key("ns", *parts).startswith("ns:")
