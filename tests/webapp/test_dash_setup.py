"""A fresh gunicorn worker serves Dash's framework scripts even while its first request is still
inside Dash's one-time setup (the cause of the HTTP 500 on ``polyfill@7`` seen in CI)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import dash
import pytest
import requests

from ml.db import make_engine, upgrade_to_head
from tests.conftest import WebProcess, service_env

pytestmark = pytest.mark.slow


def _polyfill_path() -> str:
    """The URL path of the polyfill script the pages load (unfingerprinted: Dash accepts it)."""
    deps = Path(dash.__file__).parent / "deps"
    name = next(path.name for path in deps.glob("polyfill@*.min.js"))
    return f"/_dash-component-suites/dash/deps/{name}"


def _wait_for_listening_socket(web: WebProcess, timeout_s: float = 60.0) -> None:
    """gunicorn's master binds before its worker has imported the app: connecting then works."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", web.port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"gunicorn never listened:\n{web.log()}"
            assert web.process.poll() is None, f"web exited:\n{web.log()}"
            time.sleep(0.05)


def test_framework_scripts_are_served_while_the_first_request_is_in_setup(
        tmp_path: Path, redis_url: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    marker = tmp_path / "setup-started"
    env = service_env(redis_url=redis_url, database_url=database_url, var_dir=tmp_path)
    env.update(TEST_DASH_SETUP_MARKER=str(marker), TEST_DASH_SETUP_DELAY_S="2")
    web = WebProcess(env, tmp_path / "web.log", app="tests.webapp.slow_dash_setup:server")
    try:
        _wait_for_listening_socket(web)
        first: list[requests.Response] = []
        # gunicorn's socket is bound before the worker boots: this request waits for the worker
        # and, before the fix, was the one that ran Dash's setup (2 s, slowed on purpose).
        opener = threading.Thread(target=lambda: first.append(
            requests.get(f"{web.url}/login", timeout=60)))
        opener.start()
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert time.monotonic() < deadline, f"Dash setup never started:\n{web.log()}"
            assert web.process.poll() is None, f"web exited:\n{web.log()}"
            time.sleep(0.05)
        # The setup is now running (at import since the fix, or in the first request before).
        script = requests.get(web.url + _polyfill_path(), timeout=60)
        opener.join(timeout=60)
        assert script.status_code == 200, web.log_for(_polyfill_path())
        assert first and first[0].status_code == 200, web.log()
    finally:
        web.stop()
