"""The README's run command, end to end: starts everything, serves, stops with nothing left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ops.redis_server import free_port
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _launcher_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
    env.update(FORESIGHT_PORT=str(port), FORESIGHT_VAR_DIR=str(tmp_path / "var"),
               FORESIGHT_WEB_WORKERS="1", FORESIGHT_WORKER_CONCURRENCY="1")
    return env


def _wait_for(url: str, timeout_s: float) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.RequestException as error:
            last_error = error
        time.sleep(0.5)
    raise AssertionError(f"{url} not 200 after {timeout_s}s ({last_error})")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_command_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen([str(PROJECT_ROOT / "scripts" / "run")], cwd=PROJECT_ROOT,
                               env=_launcher_env(tmp_path, port), stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/", 120)
        health = _wait_for(f"{base}/healthz", 60).json()
        assert health["status"] == "ok"
        assert health["mode"] == "redis"  # a private redis-server was started under var/
        deadline = time.monotonic() + 30
        while health["components"]["workers"]["status"] != "ok" and time.monotonic() < deadline:
            time.sleep(1)
            health = requests.get(f"{base}/healthz", timeout=10).json()
        assert health["components"]["workers"]["status"] == "ok"
        assert (tmp_path / "var" / "redis" / "appendonlydir").exists()  # AOF on
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            log.close()
    output = (tmp_path / "run.log").read_text(errors="replace")
    assert f"open http://127.0.0.1:{port}" in output
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid), "processes were left behind"


def _run_launcher(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.launcher"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_malformed_setting_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    env = _launcher_env(tmp_path, free_port())
    env["FORESIGHT_TASK_TIME_LIMIT_S"] = "soon"
    result = _run_launcher(env)
    assert result.returncode == 2
    assert "FORESIGHT_TASK_TIME_LIMIT_S" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_port_in_use_is_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run_launcher(_launcher_env(tmp_path, port))
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr
