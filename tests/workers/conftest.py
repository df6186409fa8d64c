"""Fixtures of the job tests: a private Redis per module, workers with short limits, and the
web-side job service pointed at them."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ml.db import make_engine, upgrade_to_head
from ml.db.schema import model_versions
from ml.settings import CoreSettings
from ops.redis_server import PrivateRedis
from tests.conftest import WorkerProcess, service_env
from workers import jobs as job_rows
from workers.settings import WorkerSettings

# Short limits so a killed worker's task is delivered again within seconds, a tiny backoff,
# and a fast cancellation poll. The training config below keeps a model to a few seconds.
LIMITS = {"FORESIGHT_TASK_SOFT_TIME_LIMIT_S": "40", "FORESIGHT_TASK_TIME_LIMIT_S": "45",
          "FORESIGHT_VISIBILITY_MARGIN_S": "3", "FORESIGHT_JOBS_MAX_RETRIES": "2",
          "FORESIGHT_JOBS_RETRY_BACKOFF_S": "0.3", "FORESIGHT_JOBS_CANCEL_POLL_S": "0.1"}
TINY_CONFIG: dict[str, Any] = {
    "kind": "lstm", "window_length": 10, "units": 4, "layers": 1, "epochs": 2,
    "batch_size": 256, "horizon": 2, "features": ["log_return", "realized_vol_5"],
    "early_stopping_patience": 1000}


@dataclass
class JobsStack:
    redis: PrivateRedis
    database_url: str
    var_dir: Path
    env: dict[str, str]
    engine: Engine
    logs: Path

    def settings(self) -> tuple[WorkerSettings, CoreSettings]:
        worker = WorkerSettings(
            redis_url=self.redis.url,
            task_soft_time_limit_s=int(self.env["FORESIGHT_TASK_SOFT_TIME_LIMIT_S"]),
            task_time_limit_s=int(self.env["FORESIGHT_TASK_TIME_LIMIT_S"]),
            visibility_margin_s=int(self.env["FORESIGHT_VISIBILITY_MARGIN_S"]))
        return worker, CoreSettings(var_dir=self.var_dir, database_url=self.database_url)

    def worker(self, name: str, queues: str = "default,training") -> WorkerProcess:
        process = WorkerProcess(self.env, self.logs / f"{name}.log", name=name, queues=queues)
        process.wait_ready()
        return process


@pytest.fixture(scope="session")
def jax_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JAX's persistent compilation cache, shared by every worker of the session: the first
    tiny training compiles (about 10 s), later workers load the compiled code."""
    return tmp_path_factory.mktemp("jax-cache")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
          jax_cache_dir: Path) -> Iterator[JobsStack]:
    """Redis, database and worker environment for one test module (``LIMITS`` overridable
    by the module)."""
    root = tmp_path_factory.mktemp("jobs")
    redis = PrivateRedis(data_dir=root / "redis", append_only=True).start()
    database_url = f"sqlite:///{root / 'foresight.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    env = service_env(redis_url=redis.url, database_url=database_url, var_dir=root)
    env.update(getattr(request.module, "LIMITS", LIMITS))
    env["JAX_COMPILATION_CACHE_DIR"] = str(jax_cache_dir)
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    logs = root / "logs"
    logs.mkdir()
    yield JobsStack(redis, database_url, root, env, engine, logs)
    engine.dispose()
    redis.stop()


@pytest.fixture(scope="module")
def worker_a(stack: JobsStack) -> Iterator[WorkerProcess]:
    worker = stack.worker("alpha")
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def client(stack: JobsStack) -> Iterator[Any]:
    from workers.celery_app import create_celery

    app = create_celery(*stack.settings())
    yield app
    app.close()


@pytest.fixture
def web_jobs(stack: JobsStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``webapp.jobs`` with the web process's services pointed at this module's stack."""
    from webapp import jobs, services

    for key, value in stack.env.items():
        if key.startswith("FORESIGHT_"):
            monkeypatch.setenv(key, value)
    caches = [services.core_settings, services.worker_settings, services.celery_client,
              services.redis_client]
    for cached in caches:
        cached.cache_clear()
    yield jobs
    for cached in caches:
        cached.cache_clear()


def version_count(stack: JobsStack, symbol: str) -> int:
    """Registry versions of ``symbol`` in the stack's database."""
    with stack.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model_versions)
                                      .where(model_versions.c.symbol == symbol)).scalar())


def job_row(stack: JobsStack, job_id: str) -> dict[str, Any]:
    """The job's database row; failing the test when there is none."""
    row = job_rows.get_job(stack.engine, job_id)
    assert row is not None, f"no job row for {job_id}"
    return row


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str,
             every_s: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process and all its descendants (a worker and its pool), like a lost host."""
    victims = [pid]
    index = 0
    while index < len(victims):
        children = Path(f"/proc/{victims[index]}/task/{victims[index]}/children")
        if children.exists():
            victims.extend(int(c) for c in children.read_text().split())
        index += 1
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return victims
