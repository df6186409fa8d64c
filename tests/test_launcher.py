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


def _start(tmp_path: Path, port: int, *processes: str,
           extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**_launcher_env(tmp_path, port), **(extra_env or {})}
    log = (tmp_path / "run.log").open("wb")
    try:
        return subprocess.Popen([str(PROJECT_ROOT / "scripts" / "run"), *processes],
                                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()  # the child holds its own copy


def _wait_for_line(tmp_path: Path, text: str, process: subprocess.Popen[bytes],
                   timeout_s: float) -> float:
    """Wait for ``text`` in the launcher's output; return when it was seen (monotonic)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in (tmp_path / "run.log").read_text(errors="replace"):
            return time.monotonic()
        assert process.poll() is None, _output(tmp_path)
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed after {timeout_s}s:\n{_output(tmp_path)}")


def _output(tmp_path: Path) -> str:
    return (tmp_path / "run.log").read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid), "processes were left behind"


def test_run_command_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(tmp_path, port)
    try:
        _wait_for_line(tmp_path, f"open {base}", process, 180)
        output = _output(tmp_path)
        # gunicorn's "Listening at" may come first, but only after the launcher said to wait.
        assert output.index("the URL to open is printed below") < output.index("Listening at")
        # The URL is printed only once the web answers, so the page opens at once.
        assert requests.get(f"{base}/", timeout=30).status_code == 200
        _wait_for_line(tmp_path, "workers are ready", process, 180)
        health = requests.get(f"{base}/healthz", timeout=30).json()
        assert health["status"] == "ok", health
        assert health["mode"] == "redis"  # a private redis-server was started under var/
        assert (tmp_path / "var" / "redis" / "appendonlydir").exists()  # AOF on
    finally:
        _stop(process)


def test_the_url_is_printed_when_pages_answer_even_if_health_checks_are_slow(
        tmp_path: Path) -> None:
    """No worker runs and each ``/healthz`` waits 8 s for a ping: the URL must not wait on it
    (it did: the launcher polled ``/healthz`` with a 2 s timeout and never printed)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(tmp_path, port, "web", extra_env={"FORESIGHT_HEALTH_TIMEOUT_S": "8"})
    try:
        _wait_for(f"{base}/", 180)
        page_answered = time.monotonic()
        printed = _wait_for_line(tmp_path, f"open {base}", process, 30)
        assert printed - page_answered < 10, _output(tmp_path)
        assert "workers are ready" not in _output(tmp_path)  # none was started
    finally:
        _stop(process)


def test_an_unknown_process_name_is_a_clear_message(tmp_path: Path) -> None:
    result = _run_launcher(_launcher_env(tmp_path, free_port()), "wbe")
    assert result.returncode == 2
    assert "no process named wbe" in result.stderr and "web" in result.stderr
    assert "Traceback" not in result.stderr


def _run_launcher(env: dict[str, str], *processes: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.launcher", *processes], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


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
