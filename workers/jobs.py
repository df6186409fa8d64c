"""Job rows: the durable record of every task (who asked, arguments, state, progress, outcome).

Redis holds Celery's live state; this table keeps history across Redis restarts and is what
pages list. Pure SQLAlchemy: the web process imports it without Celery task code or Keras.

Writes are idempotent upserts keyed by the Celery task id, so a redelivered or retried task
updates its one row (``attempts`` counts how many times a worker started it).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from ml.db import write_transaction
from ml.db.schema import jobs

logger = logging.getLogger(__name__)

# Our states; Celery's names where they mean the same, plus CANCELLED (revoked by a user).
PENDING, STARTED, PROGRESS, RETRY = "PENDING", "STARTED", "PROGRESS", "RETRY"
SUCCESS, FAILURE, CANCELLED = "SUCCESS", "FAILURE", "CANCELLED"
FINISHED_STATES = frozenset({SUCCESS, FAILURE, CANCELLED})
ACTIVE_STATES = frozenset({PENDING, STARTED, PROGRESS, RETRY})
ERROR_MAX_CHARS = 4000


def _now() -> datetime:
    return datetime.now(UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def record_submitted(engine: Engine, job_id: str, task: str, args: dict[str, Any],
                     requested_by: str | None, lock_key: str | None = None) -> None:
    """Insert the row of a job about to be sent (a no-op when it exists already)."""
    with write_transaction(engine) as connection:
        exists = connection.execute(select(jobs.c.id).where(jobs.c.id == job_id)).first()
        if exists is None:
            connection.execute(insert(jobs).values(
                id=job_id, task=task, args_json=_dumps(args), requested_by=requested_by,
                state=PENDING, attempts=0, cancel_requested=False, lock_key=lock_key,
                created_at=_now()))


def record_started(engine: Engine, job_id: str, task: str, args: dict[str, Any],
                   worker: str, requested_by: str | None = None) -> dict[str, Any]:
    """Mark a delivery started (creating the row for beat's jobs); returns the row after it."""
    now = _now()
    with write_transaction(engine) as connection:
        row = connection.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        if row is None:
            connection.execute(insert(jobs).values(
                id=job_id, task=task, args_json=_dumps(args), requested_by=requested_by,
                state=STARTED, attempts=1, cancel_requested=False, worker=worker,
                created_at=now, started_at=now))
        elif row["state"] not in (SUCCESS, CANCELLED):
            # A finished job delivered again keeps its row; the task returns its result.
            connection.execute(update(jobs).where(jobs.c.id == job_id).values(
                state=STARTED, attempts=jobs.c.attempts + 1, worker=worker,
                started_at=func.coalesce(jobs.c.started_at, now), error=None))
        return row_to_dict(connection.execute(select(jobs).where(jobs.c.id == job_id))
                           .mappings().one())


def record_progress(engine: Engine, job_id: str, progress: dict[str, Any]) -> None:
    """Replace the progress, keeping the trail of earlier retries."""
    with write_transaction(engine) as connection:
        raw = connection.execute(select(jobs.c.progress_json)
                                 .where(jobs.c.id == job_id)).scalar()
        retries = (json.loads(raw) if raw else {}).get("retries")
        if retries and "retries" not in progress:
            progress = {**progress, "retries": retries}
        connection.execute(update(jobs).where(jobs.c.id == job_id)
                           .where(jobs.c.state.not_in(FINISHED_STATES))
                           .values(state=PROGRESS, progress_json=_dumps(progress)))


def record_retry(engine: Engine, job_id: str, error: str, countdown_s: float) -> None:
    """State RETRY; the progress keeps every retry's delay and error (the backoff trail)."""
    with write_transaction(engine) as connection:
        raw = connection.execute(select(jobs.c.progress_json)
                                 .where(jobs.c.id == job_id)).scalar()
        previous = json.loads(raw) if raw else {}
        retries = list(previous.get("retries", [])) + [
            {"retry_in_s": countdown_s, "error": error[:500], "at": _now().isoformat()}]
        connection.execute(update(jobs).where(jobs.c.id == job_id).values(
            state=RETRY, error=error[:ERROR_MAX_CHARS],
            progress_json=_dumps({"phase": "waiting to retry", "retry_in_s": countdown_s,
                                  "retries": retries})))


def record_finished(engine: Engine, job_id: str, state: str, *, result: Any = None,
                    error: str | None = None) -> None:
    if state not in FINISHED_STATES:
        raise ValueError(f"state must be one of {sorted(FINISHED_STATES)}, got {state!r}")
    with write_transaction(engine) as connection:
        connection.execute(update(jobs).where(jobs.c.id == job_id).values(
            state=state, finished_at=_now(),
            result_json=None if result is None else _dumps(result),
            error=None if error is None else error[:ERROR_MAX_CHARS]))


def request_cancel(engine: Engine, job_id: str) -> bool:
    """Flag a job for cancellation; False when it is unknown or already finished."""
    with write_transaction(engine) as connection:
        changed = connection.execute(update(jobs).where(jobs.c.id == job_id)
                                     .where(jobs.c.state.not_in(FINISHED_STATES))
                                     .values(cancel_requested=True)).rowcount
    return bool(changed)


def cancel_requested(engine: Engine, job_id: str) -> bool:
    with engine.connect() as connection:
        value = connection.execute(select(jobs.c.cancel_requested)
                                   .where(jobs.c.id == job_id)).scalar()
    return bool(value)


def get_job(engine: Engine, job_id: str) -> dict[str, Any] | None:
    """The row as a JSON-able dict (parsed JSON columns, ISO timestamps), or None."""
    with engine.connect() as connection:
        row = connection.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return None if row is None else row_to_dict(row)


def is_finished(engine: Engine, job_id: str) -> bool:
    """True once the job's row says it is over; False while it runs or has no row yet."""
    row = get_job(engine, job_id)
    return row is not None and row["state"] in FINISHED_STATES


def list_jobs(engine: Engine, *, requested_by: str | None = None, task: str | None = None,
              states: tuple[str, ...] | None = None, limit: int = 50,
              offset: int = 0) -> list[dict[str, Any]]:
    """Newest first, filtered by who asked, task name and states."""
    if not 1 <= limit <= 1000:
        raise ValueError(f"limit must be between 1 and 1000, got {limit}")
    query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
    query = query.offset(offset)
    if requested_by is not None:
        query = query.where(jobs.c.requested_by == requested_by)
    if task is not None:
        query = query.where(jobs.c.task == task)
    if states:
        query = query.where(jobs.c.state.in_(states))
    with engine.connect() as connection:
        return [row_to_dict(r) for r in connection.execute(query).mappings()]


def active_job_for_lock(engine: Engine, lock_key: str) -> str | None:
    """The newest unfinished job holding ``lock_key`` (the fallback when Redis is absent)."""
    with engine.connect() as connection:
        return connection.execute(select(jobs.c.id).where(jobs.c.lock_key == lock_key)
                                  .where(jobs.c.state.in_(ACTIVE_STATES))
                                  .order_by(jobs.c.created_at.desc()).limit(1)).scalar()


def row_to_dict(row: Any) -> dict[str, Any]:
    data = dict(row)
    for column in ("args_json", "progress_json", "result_json"):
        raw = data.pop(column)
        data[column.removesuffix("_json")] = None if raw is None else json.loads(raw)
    for column in ("created_at", "started_at", "finished_at"):
        value = data[column]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
        data[column] = None if value is None else value.isoformat()
    data["cancel_requested"] = bool(data["cancel_requested"])
    return data


def prune_finished(engine: Engine, older_than_days: float) -> int:
    """Delete finished jobs that ended more than ``older_than_days`` ago; returns how many.

    Beat's every-minute jobs would otherwise add a row a minute for ever.
    """
    if older_than_days <= 0:
        raise ValueError(f"older_than_days must be positive, got {older_than_days}")
    cutoff = _now() - timedelta(days=older_than_days)
    with write_transaction(engine) as connection:
        return int(connection.execute(delete(jobs).where(
            jobs.c.state.in_(FINISHED_STATES), jobs.c.finished_at < cutoff)).rowcount)

