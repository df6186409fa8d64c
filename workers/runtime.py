"""What every job task shares: its job row, retries with backoff, cancellation, the lock.

``JobTask.run_job`` wraps a task body:

* records the delivery in the job row (``attempts`` + 1); a delivery of a job that already
  finished (the worker died after the last write but before the ack) returns the stored
  result instead of doing the work twice;
* transient errors (network, rate limit, database or Redis unreachable) are retried with
  exponential backoff up to ``JobPolicy.max_retries``, then fail naming the attempts; any other
  error fails at once with its message (bad input is never retried);
* a cancelled job (``workers.jobs.request_cancel``) stops at its next check and ends
  ``CANCELLED``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Reject, Retry, SoftTimeLimitExceeded

from workers import jobs as job_rows, locks
from workers.connections import engine, redis_client
from workers.policy import job_policy
from workers.submit import lock_key_for

logger = logging.getLogger(__name__)

CANCELLED_STATE = "CANCELLED"  # a custom Celery state, stored before raising Ignore


class JobCancelled(Exception):  # noqa: N818 - reads as an event, like Celery's Ignore
    """The job was cancelled by a user; raised at a safe point."""


class TransientJobError(RuntimeError):
    """A failure that may pass (a provider or store unreachable): retried with backoff."""


class JobFailed(RuntimeError):
    """A failure that retrying cannot fix; its message is shown to the user as it is."""


def is_transient(error: BaseException) -> bool:
    import redis.exceptions
    from sqlalchemy.exc import OperationalError

    from ml.data.errors import NetworkError, RateLimitedError

    transient = (TransientJobError, NetworkError, RateLimitedError, OperationalError,
                 redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                 ConnectionError, TimeoutError)
    return isinstance(error, transient)


def describe(error: BaseException) -> str:
    if isinstance(error, JobFailed | ValueError):
        return str(error)  # our and the domain's messages are written for users
    return f"{type(error).__name__}: {error}"


class JobTask(Task):
    """Base class of the job tasks (see the module docstring)."""

    abstract = True

    def run_job(self, body: Any, kwargs: dict[str, Any]) -> Any:
        job_id = self.request.id
        try:
            row = job_rows.record_started(engine(), job_id, self.name, kwargs,
                                          worker=f"{self.request.hostname}:{os.getpid()}")
        except Exception as error:
            if is_transient(error):  # the database is busy or away: try again later
                self._retry_transient(error)
            raise
        if row["state"] == job_rows.SUCCESS:
            logger.info("job %s already finished: returning its stored result", job_id)
            return row["result"]
        self._cancel_checked_at = 0.0
        try:
            self._check_deliveries(row)
            if row["state"] == job_rows.CANCELLED or row["cancel_requested"]:
                raise JobCancelled("cancelled before it started")
            return body(self, **kwargs)
        except (Retry, Ignore, Reject):
            raise
        except SoftTimeLimitExceeded as error:
            raise JobFailed("the job ran past its time limit and was stopped") from error
        except Exception as error:
            if _is_cancellation(error):
                self._record_cancelled(str(error), kwargs)
            if is_transient(error):
                self._retry_transient(error)
            raise

    def _check_deliveries(self, row: dict[str, Any]) -> None:
        """A task whose worker keeps dying under it (out of memory, a crash in native code) is
        requeued by ``task_reject_on_worker_lost`` each time: stop after a few such losses."""
        lost = int(row["attempts"]) - 1 - int(self.request.retries or 0)
        if lost > job_policy().max_worker_losses:
            raise JobFailed(f"given up: the worker running this job was lost {lost} times "
                            "(killed or crashed)")

    # --- progress and cancellation -------------------------------------------------------

    def progress(self, meta: dict[str, Any]) -> None:
        """Publish progress to Celery (live) and the job row (durable).

        Best effort on the Redis side: a training must not die because Redis blinked.
        """
        try:
            self.update_state(state=job_rows.PROGRESS, meta=meta)
        except Exception as error:  # noqa: BLE001 - redis raises several types
            logger.warning("job %s: live progress not published: %s", self.request.id, error)
        job_rows.record_progress(engine(), self.request.id, meta)

    def should_stop(self) -> bool:
        """True once the job is cancelled; polls the job row at most every cancel_poll_s."""
        now = time.monotonic()
        if now - getattr(self, "_cancel_checked_at", 0.0) < job_policy().cancel_poll_s:
            return False
        self._cancel_checked_at = now
        return job_rows.cancel_requested(engine(), self.request.id)

    def check_cancelled(self) -> None:
        self._cancel_checked_at = 0.0
        if self.should_stop():
            raise JobCancelled("cancelled")

    def _record_cancelled(self, reason: str, kwargs: dict[str, Any]) -> None:
        job_id = self.request.id
        job_rows.record_finished(engine(), job_id, job_rows.CANCELLED,
                                 error=f"cancelled: {reason}")
        self._release_lock(kwargs)
        self.update_state(state=CANCELLED_STATE, meta={"reason": reason})
        logger.info("job %s cancelled: %s", job_id, reason)
        raise Ignore()

    # --- retries ---------------------------------------------------------------------------

    def _retry_transient(self, error: BaseException) -> None:
        policy = job_policy()
        retries = int(self.request.retries or 0)
        message = describe(error)
        if retries >= policy.max_retries:
            raise JobFailed(f"gave up after {retries + 1} attempts: {message}") from error
        countdown = policy.backoff_s(retries)
        try:
            job_rows.record_retry(engine(), self.request.id, message, countdown)
        except Exception as row_error:  # noqa: BLE001 - the retry matters more than the row
            logger.warning("job %s: retry not recorded: %s", self.request.id, row_error)
        logger.warning("job %s: transient error, retry %d in %.1fs: %s", self.request.id,
                       retries + 1, countdown, message)
        raise self.retry(exc=error, countdown=countdown, max_retries=policy.max_retries)

    # --- final states ------------------------------------------------------------------------

    def on_success(self, retval: Any, task_id: str, args: Any, kwargs: Any) -> None:
        job_rows.record_finished(engine(), task_id, job_rows.SUCCESS, result=retval)
        self._release_lock(kwargs)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any,
                   einfo: Any) -> None:
        job_rows.record_finished(engine(), task_id, job_rows.FAILURE, error=describe(exc))
        self._release_lock(kwargs)

    def _release_lock(self, kwargs: dict[str, Any] | None) -> None:
        key = lock_key_for(self.name, kwargs or {})
        client = redis_client()
        if key is None or client is None:
            return
        try:
            locks.release(client, key, self.request.id)
        except Exception as error:  # noqa: BLE001 - the lock expires on its own anyway
            logger.warning("could not release %s: %s", key, error)


def _is_cancellation(error: BaseException) -> bool:
    from ml.forecast import TrainingCancelled

    return isinstance(error, JobCancelled | TrainingCancelled)
