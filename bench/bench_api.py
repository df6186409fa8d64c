"""REST API under load: gunicorn on loopback, driven by ``wrk`` (a real HTTP load generator).

Set-up, all real: a private Redis, a SQLite database with the S&P 500 sample's 5,031 daily
bars cached, a stored forecast (as a worker would have written it), a user with an API token,
and gunicorn serving ``webapp.app:server`` the way the Procfile does (2 workers x 4 threads).

Figures: ``GET /api/v1/predict/sample:SPX`` from 50 concurrent clients, paced at about
500 requests per second in all (targets: median <= 20 ms, p99 <= 100 ms, >= 500/s), and
the same 50 connections unpaced (saturation: the most the server gives, with the latency
that queueing behind it costs); ``GET /api/v1/history`` for 5,000 bars (median at 10 and
at 50 connections, unpaced; target <= 30 ms). wrk runs on the same
2-core machine, so it takes CPU from the server: the figures are conservative.

``wrk`` comes from Debian (``apt-get install wrk``); the benchmark installs it when missing
and it runs as root, and says how otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DURATION_S = 10
PAUSE_MS = 85
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       capture_output=True, timeout=300)
        found = shutil.which("wrk")
        if found:
            return found
    raise RuntimeError("wrk is not installed: apt-get install wrk (Debian)")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Median, p99, requests per second and non-2xx count from ``wrk --latency``."""
    figures: dict[str, float] = {}
    for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M):
        figures[f"p{percent}_ms"] = round(_ms(value), 2)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    figures["rps"] = round(float(rate.group(1)), 1) if rate else 0.0
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    figures["socket_errors"] = 0.0 if socket_errors is None else float(
        sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))))
    return figures


def wrk(binary: str, url: str, token: str, connections: int, duration_s: int,
        pause_ms: int = 0) -> dict[str, float]:
    """Closed loop (each connection sends as soon as it has its answer), or paced: each
    connection waits ``pause_ms`` before its next request, so 50 connections with 90 ms
    pauses offer about 500 requests per second: 50 clients at 10 requests per second."""
    command = [binary, "-t", "2", "-c", str(connections), "-d", f"{duration_s}s", "--latency",
               "--timeout", "5s", "-H", f"Authorization: Bearer {token}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"function delay()\n  return {int(pause_ms)}\nend\n")
    if pause_ms:
        command += ["-s", script.name]
    try:
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                                timeout=duration_s + 60).stdout
    finally:
        Path(script.name).unlink()
    return parse_wrk(output)


def _prepare(var_dir: Path, redis_url: str) -> str:
    """Database with cached bars and a stored forecast; returns an API token."""
    from ml.data import load_bars
    from ml.db import make_engine, upgrade_to_head
    from tests.webapp.accounts.conftest import fake_model_version, store_forecast
    from webapp import accounts

    engine = make_engine(f"sqlite:///{var_dir / 'foresight.db'}")
    upgrade_to_head(engine)
    load_bars("sample:SPX", "1d", engine=engine)
    version_id = fake_model_version(engine, "sample:SPX")
    store_forecast(engine, redis_url, "sample:SPX", version_id, steps=10)
    user = accounts.create_user(engine, "bench", "bench password", "viewer")
    _, token = accounts.create_token(engine, user.id, "bench")
    engine.dispose()
    return token


def _start_web(var_dir: Path, redis_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_VAR_DIR=str(var_dir), FORESIGHT_REDIS_URL=redis_url,
               FORESIGHT_API_RATE_LIMIT="10000000 per minute", PYTHONPATH=str(PROJECT_ROOT))
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
               "2", "--threads", "4", "--timeout", "60", "--log-level", "warning",
               "webapp.app:server"]
    log = (var_dir / "web.log").open("ab")
    return subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log,
                            stderr=subprocess.STDOUT)


def _wait(url: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"web did not answer {url} within {timeout_s}s")


def run() -> dict[str, Any]:
    from ops.redis_server import PrivateRedis, free_port

    binary = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        var_dir = Path(tmp)
        redis = PrivateRedis(data_dir=var_dir / "redis", append_only=False).start()
        web = None
        try:
            token = _prepare(var_dir, redis.url)
            port = free_port()
            web = _start_web(var_dir, redis.url, port)
            base = f"http://127.0.0.1:{port}/api/v1"
            _wait(f"{base}/openapi.json")
            predict = f"{base}/predict/sample:SPX"
            history = f"{base}/history/sample:SPX?limit=5000"
            wrk(binary, predict, token, 50, 3)  # warm-up: imports, connections, caches
            wrk(binary, history, token, 10, 2)
            figures = {"paced": wrk(binary, predict, token, 50, DURATION_S, pause_ms=PAUSE_MS),
                       "predict": wrk(binary, predict, token, 50, DURATION_S),
                       "history10": wrk(binary, history, token, 10, DURATION_S),
                       "history50": wrk(binary, history, token, 50, DURATION_S)}
        finally:
            if web is not None:
                web.terminate()
                web.wait(timeout=30)
            redis.stop()
    predict_figures, h10, h50 = figures["predict"], figures["history10"], figures["history50"]
    paced = figures["paced"]
    return {
        "api.predict_c50_at_500rps_median_ms": paced["p50_ms"],
        "api.predict_c50_at_500rps_p99_ms": paced["p99_ms"],
        "api.predict_c50_at_500rps_rps": paced["rps"],
        "api.predict_c50_at_500rps_errors": paced["non_2xx"] + paced["socket_errors"],
        "api.predict_c50_saturated_median_ms": predict_figures["p50_ms"],
        "api.predict_c50_saturated_p99_ms": predict_figures["p99_ms"],
        "api.predict_c50_saturated_rps": predict_figures["rps"],
        "api.predict_c50_saturated_errors": predict_figures["non_2xx"]
        + predict_figures["socket_errors"],
        "api.history_5000_bars_c10_median_ms": h10["p50_ms"],
        "api.history_5000_bars_c10_p99_ms": h10["p99_ms"],
        "api.history_5000_bars_c10_rps": h10["rps"],
        "api.history_5000_bars_c50_median_ms": h50["p50_ms"],
        "api.history_5000_bars_c50_rps": h50["rps"],
        "api.history_errors": h10["non_2xx"] + h50["non_2xx"] + h10["socket_errors"]
        + h50["socket_errors"],
        "api.load_generator": "wrk 2 threads on the same 2 cores; gunicorn 2 workers x 4 threads",
    }
