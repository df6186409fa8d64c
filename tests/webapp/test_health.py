"""``/healthz`` over real HTTP: all green with a worker, 503 and fast when Redis dies."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import requests

from ml.db import make_engine, upgrade_to_head
from ops.redis_server import PrivateRedis
from tests.conftest import WebProcess, service_env

pytestmark = pytest.mark.slow


def test_healthz_is_all_green_and_a_task_round_trips(web_server: WebProcess) -> None:
    response = requests.get(f"{web_server.url}/healthz", params={"roundtrip": 1}, timeout=30)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["status"] == "ok"
    assert document["mode"] == "redis"
    components = document["components"]
    assert {name: c["status"] for name, c in components.items()} == {
        "database": "ok", "broker": "ok", "workers": "ok", "roundtrip": "ok"}
    assert components["workers"]["extra"]["workers"]


def test_home_page_and_vendored_css_are_served(web_server: WebProcess) -> None:
    page = requests.get(web_server.url, timeout=10)
    assert page.status_code == 200
    assert "/vendor/bootstrap/css/bootstrap.min.css" in page.text
    css = requests.get(f"{web_server.url}/vendor/bootstrap/css/bootstrap.min.css", timeout=10)
    assert css.status_code == 200 and "Bootstrap" in css.text[:200]


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_redis_going_away_gives_503_fast_and_pages_still_render(tmp_path: Path,
                                                               fault: str) -> None:
    """A stopped Redis refuses connections; a frozen one (SIGSTOP) accepts and never answers."""
    redis = PrivateRedis(data_dir=tmp_path / "redis", append_only=False).start()
    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    env = service_env(redis_url=redis.url, database_url=database_url, var_dir=tmp_path)
    web = WebProcess(env, tmp_path / "web.log")
    try:
        web.wait_ready()
        if fault == "frozen":
            assert redis.process is not None
            redis.process.send_signal(signal.SIGSTOP)
        else:
            redis.stop()
        started = time.monotonic()
        health = requests.get(f"{web.url}/healthz", timeout=20)
        elapsed = time.monotonic() - started
        assert health.status_code == 503
        assert health.json()["components"]["broker"]["status"] == "down"
        # A generous ceiling: the point is "no hang", the figure itself is benchmarked.
        assert elapsed < 15, f"/healthz took {elapsed:.1f}s with Redis down"
        assert requests.get(web.url, timeout=20).status_code == 200
        live = requests.get(f"{web.url}/livez", timeout=20)  # probes nothing: still up
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
    finally:
        web.stop()
        if redis.process is not None:
            redis.process.send_signal(signal.SIGCONT)
        redis.stop()


def test_fallback_mode_is_reported(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    env = service_env(redis_url="", database_url=database_url, var_dir=tmp_path)
    web = WebProcess(env, tmp_path / "web.log")
    try:
        web.wait_ready()
        document = requests.get(f"{web.url}/healthz", timeout=20).json()
        assert document["mode"] == "fallback"
        assert document["components"]["broker"]["extra"]["mode"] == "fallback"
        assert document["components"]["workers"]["status"] == "unknown"
    finally:
        web.stop()
