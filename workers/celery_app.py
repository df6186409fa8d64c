"""The Celery application: configuration only; tasks live in ``workers.tasks``."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu import Queue

from ml.settings import CoreSettings, load_settings
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)

TRAINING_QUEUE = "training"
DEFAULT_QUEUE = "default"


def celery_config(worker: WorkerSettings, core: CoreSettings) -> dict[str, Any]:
    """Every setting our reliability depends on, in one place: late acks with lost workers
    rejected (a task survives a killed worker), prefetch of one, the broker's visibility
    timeout and results that expire (docs/jobs.md)."""
    # The SQLAlchemy transport and database backend hand their options to create_engine, so
    # the Redis-specific ones are set in Redis mode only.
    transport_options: dict[str, Any] = {}
    backend_options: dict[str, Any] = {}
    if worker.mode == "redis":
        broker_url = worker.redis_db_url(worker.broker_db)
        result_backend = broker_url
        transport_options = {
            "visibility_timeout": worker.visibility_timeout_s,
            **_restore_sweep(worker.visibility_timeout_s),
            # Bounded publish retries: .delay() fails fast instead of hanging a request.
            "max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1,
            "socket_timeout": worker.broker_timeout_s,
            "socket_connect_timeout": worker.broker_timeout_s,
        }
        backend_options = {"visibility_timeout": worker.visibility_timeout_s}
    else:
        core.var_dir.mkdir(parents=True, exist_ok=True)
        broker_url = f"sqla+sqlite:///{core.var_dir / 'celery-broker.db'}"
        result_backend = f"db+sqlite:///{core.var_dir / 'celery-results.db'}"
    return {
        "broker_url": broker_url,
        "result_backend": result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": worker.task_soft_time_limit_s,
        "task_time_limit": worker.task_time_limit_s,
        "task_track_started": True,
        "result_extended": True,
        "result_expires": 7 * 24 * 3600,
        "broker_transport_options": transport_options,
        "result_backend_transport_options": backend_options,
        "visibility_timeout": worker.visibility_timeout_s,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": worker.broker_timeout_s,
        "redis_socket_timeout": worker.broker_timeout_s,
        "redis_socket_connect_timeout": worker.broker_timeout_s,
        "redis_backend_health_check_interval": 10,
        "task_default_queue": DEFAULT_QUEUE,
        "task_queues": [Queue(DEFAULT_QUEUE), Queue(TRAINING_QUEUE)],
        "task_routes": {"workers.tasks.train_*": {"queue": TRAINING_QUEUE},
                        "workers.tasks.run_backtest": {"queue": TRAINING_QUEUE}},
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "timezone": "UTC",
        "enable_utc": True,
    }


def _restore_sweep(visibility_timeout_s: int) -> dict[str, int]:
    """How often a worker looks for unacked tasks of dead workers to deliver again.

    kombu sweeps every ``interval * throttle`` seconds (10 x 10 by default): fine for an hour
    of visibility, far too slow for a short one. Aim at a twentieth of the visibility timeout.
    """
    target = max(1, visibility_timeout_s // 20)
    interval = min(10, target)
    return {"unacked_restore_interval": interval,
            "unacked_restore_throttle": max(1, min(10, target // interval))}


def create_celery(worker: WorkerSettings | None = None,
                  core: CoreSettings | None = None) -> Celery:
    worker = worker or load_settings(WorkerSettings)
    core = core or load_settings(CoreSettings)
    app = Celery("foresight", include=TASK_MODULES)
    app.conf.update(celery_config(worker, core))
    app.conf.beat_schedule = _beat_schedule()
    # Re-reads the admin's stored schedule while running (workers/schedule.py).
    app.conf.beat_scheduler = "workers.schedule:DatabaseScheduler"
    logger.info("celery in %s mode", worker.mode)
    return app


# The modules whose tasks the worker registers.
TASK_MODULES = ["workers.tasks", "workers.alert_tasks"]


def _beat_schedule() -> dict[str, Any]:
    from workers.schedule import beat_schedule

    return beat_schedule()


app = create_celery()
