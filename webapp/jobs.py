"""The web side of jobs: submit, follow, list and cancel, without task code or Keras.

Pages and the API call these. ``submit`` never hangs on a dead broker: it raises
:class:`JobsUnavailable` within a few seconds (bounded publish retries and socket timeouts).
``job_status`` merges the durable job row with Celery's live state: the row has who asked,
arguments, timings and the final outcome; Celery has the freshest progress, and its final
state repairs a row whose worker was killed by the hard time limit before it could write.
"""

from __future__ import annotations

import logging
from typing import Any

from webapp import services
from workers import jobs as job_rows, locks
from workers.submit import JobsUnavailable, submit_job

logger = logging.getLogger(__name__)

__all__ = ["FINISHED_STATES", "JobsUnavailable", "cancel", "job_status", "jobs_available",
           "list_jobs", "submit"]

# The states ``job_status`` reports once a job is over (Celery's REVOKED is mapped to CANCELLED).
FINISHED_STATES = job_rows.FINISHED_STATES
_CELERY_FINAL = {"SUCCESS": job_rows.SUCCESS, "FAILURE": job_rows.FAILURE,
                 "REVOKED": job_rows.CANCELLED, "CANCELLED": job_rows.CANCELLED}


def jobs_available() -> bool:
    """Can a job be queued now? (Redis answers a ping; the SQLite fallback always can.)"""
    client = services.redis_client()
    if client is None:
        return True
    try:
        return bool(client.ping())
    except Exception as error:  # noqa: BLE001 - any failure means "not now"
        logger.warning("job queue unavailable: %s", error)
        return False


def submit(task_name: str, kwargs: dict[str, Any], requested_by: str | None) -> str:
    """Queue ``task_name`` and return its job id.

    A training of a (symbol, interval) that is already running returns that job's id.
    Raises ``ValueError`` for an unknown task or bad arguments and ``JobsUnavailable`` when
    the broker cannot take it.
    """
    client = services.redis_client()
    if client is not None and not jobs_available():
        raise JobsUnavailable("The job queue is unavailable right now; try again in a moment.")
    settings = services.worker_settings()
    submitted = submit_job(services.celery_client(), services.database(), client, task_name,
                           kwargs, requested_by, lock_ttl_s=settings.visibility_timeout_s)
    return submitted.job_id


def job_status(job_id: str) -> dict[str, Any]:
    """State, progress, result, error and timings of a job (``state`` "UNKNOWN" if none)."""
    row = job_rows.get_job(services.database(), job_id)
    live = _celery_state(job_id)
    if row is None:
        if live is None:
            return {"id": job_id, "state": "UNKNOWN"}
        row = {"id": job_id, "task": live.get("task"), "state": live["state"],
               "progress": None, "result": None, "error": None, "args": None}
    status = dict(row)
    if live is None or row["state"] in job_rows.FINISHED_STATES:
        return status
    state = live["state"]
    if state == job_rows.PROGRESS and isinstance(live.get("info"), dict):
        status["state"], status["progress"] = job_rows.PROGRESS, live["info"]
    elif state in _CELERY_FINAL:
        final = _CELERY_FINAL[state]
        error = None if final == job_rows.SUCCESS else str(live.get("info") or state.lower())
        result = live.get("info") if final == job_rows.SUCCESS else None
        job_rows.record_finished(services.database(), job_id, final, result=result, error=error)
        return job_rows.get_job(services.database(), job_id) or status
    return status


def list_jobs(*, requested_by: str | None = None, task: str | None = None,
              states: tuple[str, ...] | None = None, limit: int = 50,
              offset: int = 0) -> list[dict[str, Any]]:
    """Jobs, newest first (``task`` accepts ``train_model`` or the full name)."""
    if task is not None and not task.startswith("workers."):
        task = f"workers.tasks.{task}"
    rows = job_rows.list_jobs(services.database(), requested_by=requested_by, task=task,
                              states=states, limit=limit, offset=offset)
    # Unfinished rows get Celery's view too: fresher progress, and the final state of a job
    # whose worker could not write it (killed by the hard time limit).
    return [job_status(row["id"]) if row["state"] in job_rows.ACTIVE_STATES else row
            for row in rows]


def cancel(job_id: str) -> bool:
    """Ask a job to stop: a queued one never starts, a training stops between batches.

    Returns False when the job is unknown or already finished.
    """
    engine = services.database()
    if not job_rows.request_cancel(engine, job_id):
        return False
    row = job_rows.get_job(engine, job_id)
    if row is not None and row["state"] == job_rows.PENDING:
        job_rows.record_finished(engine, job_id, job_rows.CANCELLED,
                                 error="cancelled before it started")
        client = services.redis_client()
        if client is not None and row["lock_key"]:
            locks.release(client, row["lock_key"], job_id)
    if services.redis_client() is not None:
        try:
            services.celery_client().control.revoke(job_id)
        except Exception as error:  # noqa: BLE001 - the row flag still stops it
            logger.warning("revoke of %s not broadcast: %s", job_id, error)
    return True


def _celery_state(job_id: str) -> dict[str, Any] | None:
    try:
        result = services.celery_client().AsyncResult(job_id)
        state = result.state
        info = result.info
    except Exception as error:  # noqa: BLE001 - Redis down: the row still answers
        logger.warning("live state of %s unavailable: %s", job_id, error)
        return None
    if state == "PENDING":
        return None  # Celery says PENDING for every id it does not know
    if isinstance(info, BaseException):
        info = f"{type(info).__name__}: {info}"
    return {"state": state, "info": info, "task": getattr(result, "name", None)}
