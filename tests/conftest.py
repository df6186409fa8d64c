"""Shared fixtures: real Redis, real Celery workers, databases in tmp_path, no internet.

Everything here starts real components; nothing is mocked. Fixture cost is paid once per
session where the component is stateless between tests (Redis is flushed per test instead).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text

from ml.db import make_engine, upgrade_to_head
from ml.settings import CoreSettings
from ops.redis_server import PrivateRedis, redis_server_binary
from workers.settings import WorkerSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POSTGRES_URL_ENV = "FORESIGHT_TEST_POSTGRES_URL"


# --- no internet -----------------------------------------------------------------------------

class NetworkBlocked(RuntimeError):
    """A test tried to open a socket to a non-loopback address."""


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like never leave the machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that connects anywhere but loopback (yfinance included)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    # libcurl (yfinance's curl_cffi) bypasses Python sockets: point it at a dead proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


# --- databases -------------------------------------------------------------------------------

@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'foresight.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite database in tmp_path."""
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: SQLite always, PostgreSQL when FORESIGHT_TEST_POSTGRES_URL is set.

    Each PostgreSQL test gets its own throwaway database, dropped afterwards.
    """
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'foresight.db'}")
        upgrade_to_head(engine)
        yield engine
        engine.dispose()
        return
    admin_url = os.environ.get(POSTGRES_URL_ENV)
    if not admin_url:
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    name = f"foresight_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- Redis and Celery ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """A private redis-server on a free port for the whole session."""
    if redis_server_binary() is None:
        pytest.fail("redis-server is not installed: .ci/run installs it (apt-get install "
                    "redis-server)")
    server = PrivateRedis(data_dir=tmp_path_factory.mktemp("redis"), append_only=False).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: PrivateRedis) -> str:
    """The private Redis, emptied before the test."""
    import redis

    if not redis_server.ping():
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


def service_env(*, redis_url: str, database_url: str, var_dir: Path) -> dict[str, str]:
    """Environment for a child process (worker, web) pointed at the test's services."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update({
        "FORESIGHT_REDIS_URL": redis_url,
        "FORESIGHT_DATABASE_URL": database_url,
        "FORESIGHT_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
        "KERAS_BACKEND": "jax",
    })
    return env


class ChildProcess:
    """A service the tests run as a real child process, logging to a file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    _log: Any

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class WorkerProcess(ChildProcess):
    """A real ``celery worker`` child process."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str,
                 queues: str = "default,training", concurrency: int = 1) -> None:
        self.log_path = log_path
        self.name = name
        command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
                   "--loglevel", "INFO", "-Q", queues, "-c", str(concurrency),
                   "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if "ready." in self.log():
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready after {timeout_s}s:\n{self.log()}")



@pytest.fixture(scope="session")
def worker_services(redis_server: PrivateRedis,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Settings shared by the session's worker and the test process's Celery client.

    The session worker gets a Redis of its own: on the shared ``redis_server`` it would take
    tasks that other tests send to their own workers (with other databases), and their
    ``flushall`` would empty its queues.
    """
    var_dir = tmp_path_factory.mktemp("var")
    database_url = f"sqlite:///{var_dir / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    own_redis = PrivateRedis(data_dir=var_dir / "redis", append_only=False).start()
    yield {"redis_url": own_redis.url, "database_url": database_url, "var_dir": var_dir}
    own_redis.stop()


@pytest.fixture(scope="session")
def celery_worker(worker_services: dict[str, object],
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One real worker for the session, consuming both queues."""
    env = service_env(redis_url=str(worker_services["redis_url"]),
                      database_url=str(worker_services["database_url"]),
                      var_dir=Path(str(worker_services["var_dir"])))
    log_path = tmp_path_factory.mktemp("logs") / "worker.log"
    worker = WorkerProcess(env, log_path, name="session")
    worker.wait_ready()
    yield worker
    worker.stop()


@pytest.fixture
def celery_client(worker_services: dict[str, object]):  # type: ignore[no-untyped-def]
    """A Celery app in the test process configured like the worker (it only sends tasks)."""
    from workers.celery_app import create_celery

    app = create_celery(WorkerSettings(redis_url=str(worker_services["redis_url"])),
                        CoreSettings(var_dir=Path(str(worker_services["var_dir"])),
                                     database_url=str(worker_services["database_url"])))
    yield app
    app.close()


class WebProcess(ChildProcess):
    """A real gunicorn serving ``webapp.app:server`` on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 1,
                 app: str = "webapp.app:server") -> None:
        from ops.redis_server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        # The access log (on stdout, into the same file) lets a failing test show its request.
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(workers), "--threads", "4", "--timeout", "60",
                   "--limit-request-line", "8190", "--access-logfile", "-", app]
        self.process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT,
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"web exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"web not ready after {timeout_s}s:\n{self.log()}")

    def log_for(self, path: str, context_lines: int = 40) -> str:
        """The log lines that name ``path`` (access line, "Exception on ..."), each with the
        traceback under it: what a test prints when the server answered it with a 5xx."""
        lines = self.log().splitlines()
        picked: list[str] = []
        for number, line in enumerate(lines):
            if path not in line:
                continue
            picked.append(line)
            for follower in lines[number + 1:number + 1 + context_lines]:
                if follower.startswith(("[", "127.0.0.1 ")):  # the next log or access line
                    break
                picked.append(follower)
        return "\n".join(picked) or f"(no line of {self.log_path} names {path})"



@pytest.fixture(scope="session")
def web_server(worker_services: dict[str, object], celery_worker: WorkerProcess,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    """The web app under gunicorn, wired to the session's Redis, database and worker."""
    env = service_env(redis_url=str(worker_services["redis_url"]),
                      database_url=str(worker_services["database_url"]),
                      var_dir=Path(str(worker_services["var_dir"])))
    web = WebProcess(env, tmp_path_factory.mktemp("logs") / "web.log")
    web.wait_ready()
    yield web
    web.stop()


# --- browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session (a second sync Playwright would clash)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    if executable is None:
        pytest.fail("chromium is not installed: scripts/install-system-deps installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()



# --- market data -----------------------------------------------------------------------------

@pytest.fixture
def ohlcv() -> pd.DataFrame:
    """500 deterministic daily bars (a seeded geometric random walk), UTC index."""
    return make_ohlcv(500, seed=7)


def make_ohlcv(rows: int, seed: int = 0, freq: str = "1D",
               start: str = "2020-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0003, 0.012, rows)
    close = 100 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.002, rows))
    spread = np.abs(rng.normal(0, 0.006, rows)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.lognormal(12, 0.4, rows)
    index = pd.date_range(start, periods=rows, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": volume}, index=index)


@pytest.fixture
def shared_data_dir() -> Path:
    """``../shared/data`` with the real BTC-USD CSVs; tests skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real sample CSVs not found at {SHARED_DATA}")
    return SHARED_DATA
