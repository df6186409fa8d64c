"""Broker, worker and result backend work together: real Redis, real worker processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery

from ml.db import make_engine, upgrade_to_head
from ml.settings import CoreSettings
from tests.conftest import PROJECT_ROOT, WorkerProcess, service_env
from workers.celery_app import DEFAULT_QUEUE, TRAINING_QUEUE, create_celery
from workers.settings import WorkerSettings

pytestmark = pytest.mark.slow


def test_task_round_trip_through_redis(celery_worker: WorkerProcess,
                                       celery_client: Celery) -> None:
    result = celery_client.send_task("workers.tasks.echo", args=[{"n": 42}])
    reply = result.get(timeout=30)
    assert reply["payload"] == {"n": 42}
    assert reply["worker"]
    assert result.state == "SUCCESS"


def test_reliability_settings_are_in_force(celery_client: Celery) -> None:
    conf = celery_client.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert visibility > conf.task_time_limit
    assert conf.result_backend_transport_options["visibility_timeout"] == visibility
    assert conf.visibility_timeout == visibility


def test_training_work_is_routed_to_its_own_queue(celery_client: Celery) -> None:
    router = celery_client.amqp.router
    assert router.route({}, "workers.tasks.train_model")["queue"].name == TRAINING_QUEUE
    assert router.route({}, "workers.tasks.echo")["queue"].name == DEFAULT_QUEUE


def test_fallback_engine_runs_tasks_without_redis(tmp_path: Path) -> None:
    """No Redis at all: Celery on SQLite still carries a task to a real worker and back."""
    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    env = service_env(redis_url="", database_url=database_url, var_dir=tmp_path)
    worker = WorkerProcess(env, tmp_path / "worker.log", name="fallback")
    try:
        worker.wait_ready()
        client = create_celery(WorkerSettings(redis_url=""), CoreSettings(var_dir=tmp_path))
        assert client.conf.broker_url.startswith("sqla+sqlite:")
        reply = client.send_task("workers.tasks.echo", args=[{"mode": "fallback"}])
        assert reply.get(timeout=60)["payload"] == {"mode": "fallback"}
    finally:
        worker.stop()


def test_web_process_never_imports_keras() -> None:
    code = "import sys, webapp.app; sys.exit('keras' in sys.modules or 'jax' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
