"""Sending a job: record its row, take the training lock, publish by name, fail fast.

Shared by the web process (``webapp.jobs``) and by tasks that queue other tasks (retraining,
drift). It imports no task code and no Keras: tasks are sent by name.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from workers import jobs as job_rows, locks

logger = logging.getLogger(__name__)

TASK_PREFIX = "workers.tasks."
# Tasks callers may submit, with the keyword arguments each requires.
SUBMITTABLE: dict[str, tuple[str, ...]] = {
    "train_model": ("symbol", "interval"),
    "run_backtest": ("symbol", "interval"),
    "refresh_data": ("symbols", "interval"),
    "retrain_stale": (),
    "predict": ("symbol", "interval"),
    "update_drift": ("symbol", "interval"),
    "refresh_watched": (),
    "check_alerts": (),
    "prune_jobs": (),
    "echo": ("payload",),
    "heartbeat": (),
}
# Publishing gives up after this, so a request never waits long on a dead broker.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                        "interval_max": 0.2}


class JobsUnavailable(RuntimeError):
    """The broker cannot take the job now; the message says so in a user's words."""


@dataclass(frozen=True)
class Submitted:
    job_id: str
    created: bool  # False: an identical training was running and its id is returned


def task_name(name: str) -> str:
    """``train_model`` or ``workers.tasks.train_model`` -> the full registered name."""
    short = name.removeprefix(TASK_PREFIX)
    if short not in SUBMITTABLE:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(sorted(SUBMITTABLE))}")
    return TASK_PREFIX + short


def check_kwargs(name: str, kwargs: dict[str, Any]) -> None:
    """Required keys present and everything JSON-serialisable (pickle is off)."""
    if not isinstance(kwargs, dict):
        raise ValueError(f"task arguments must be a dict, got {type(kwargs).__name__}")
    missing = [key for key in SUBMITTABLE[name.removeprefix(TASK_PREFIX)] if key not in kwargs]
    if missing:
        raise ValueError(f"{name} needs arguments: {', '.join(missing)}")
    try:
        json.dumps(kwargs, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"task arguments must be plain JSON: {error}") from None


def lock_key_for(name: str, kwargs: dict[str, Any]) -> str | None:
    if name == TASK_PREFIX + "train_model":
        return locks.training_lock_key(str(kwargs["symbol"]), str(kwargs["interval"]))
    return None


def submit_job(celery: Any, engine: Engine, redis_client: Any, name: str,
               kwargs: dict[str, Any], requested_by: str | None, *,
               lock_ttl_s: float) -> Submitted:
    """Record and send a job; a training already running for the pair is returned instead."""
    name = task_name(name)
    check_kwargs(name, kwargs)
    job_id = str(uuid.uuid4())
    lock_key = lock_key_for(name, kwargs)
    if lock_key is not None:
        running = _take_lock(engine, redis_client, lock_key, job_id, lock_ttl_s)
        if running is not None:
            logger.info("%s for %s already running as %s", name, lock_key, running)
            return Submitted(running, created=False)
    try:
        job_rows.record_submitted(engine, job_id, name, kwargs, requested_by, lock_key)
        celery.send_task(name, kwargs=kwargs, task_id=job_id, retry=True,
                         retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as error:  # kombu/redis raise many types for "broker down"
        if lock_key is not None and redis_client is not None:
            _quietly(locks.release, redis_client, lock_key, job_id)
        _quietly(job_rows.record_finished, engine, job_id, job_rows.FAILURE,
                 error=f"not sent: job queue unavailable ({type(error).__name__}: {error})")
        raise JobsUnavailable("The job queue is unavailable right now; try again in a "
                              f"moment ({type(error).__name__}).") from error
    return Submitted(job_id, created=True)


def _take_lock(engine: Engine, redis_client: Any, key: str, job_id: str,
               ttl_s: float) -> str | None:
    """None when ``job_id`` now holds ``key``, else the id of the job that is running."""
    if redis_client is None:  # fallback mode: the jobs table is the lock (best effort)
        return job_rows.active_job_for_lock(engine, key)
    try:
        return locks.take_unless_running(redis_client, key, job_id, ttl_s,
                                         lambda holder: job_rows.is_finished(engine, holder))
    except Exception as error:  # redis raises ConnectionError, TimeoutError, OSError...
        raise JobsUnavailable("The job queue is unavailable right now; try again in a "
                              f"moment ({type(error).__name__}).") from error


def _quietly(function: Any, *args: Any, **kwargs: Any) -> None:
    try:
        function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - clean-up after a failure must not mask it
        logger.warning("%s failed during clean-up: %s", function.__name__, error)
