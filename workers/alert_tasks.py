"""Alert jobs: evaluate rules on new bars, then deliver each (event, channel) as its own job.

``check`` runs every minute from beat (through ``workers.tasks.check_alerts``) and after a
data refresh stores new bars (``evaluate_series``). Each delivery is one ``deliver`` task: it
claims the delivery row (a lease, so two workers never send it at once), makes one attempt,
logs it, and on a retryable failure schedules the next attempt with exponential backoff. The
minute check also re-sends anything overdue (a worker died, a message was lost), so nothing
is dropped. A channel that fails ``failing_after`` times in a row is marked failing: its
deliveries stop retrying until it works again, and no other channel waits for it.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings
from sqlalchemy import Engine, insert, or_, select, update

from ml.alerts import WORKER_CHANNELS, channel_config, now_utc, record_channel_health
from ml.db import open_database, write_transaction
from ml.db.schema import alert_events, delivery_attempts, notification_deliveries
from ml.settings import load_settings, settings_config
from workers.backoff import exponential_backoff_s
from workers.celery_app import app
from workers.channels import ChannelError, send
from workers.settings import core_settings

logger = logging.getLogger(__name__)


class AlertSettings(BaseSettings):
    """Retry policy of deliveries (``FORESIGHT_ALERT_*``)."""

    model_config = settings_config()

    alert_retry_base_s: float = Field(default=2.0, gt=0, description="first retry delay; "
                                      "doubles each attempt")
    alert_retry_max_s: float = Field(default=600.0, gt=0)
    alert_max_attempts: int = Field(default=6, ge=1, le=50)
    alert_failing_after: int = Field(default=5, ge=1, description="consecutive failed "
                                     "attempts that mark a channel failing")
    alert_lease_s: float = Field(default=120.0, gt=0, description="how long a claimed "
                                 "delivery is reserved for the worker sending it")
    alert_overdue_s: float = Field(default=30.0, ge=0, description="a due delivery this late "
                                   "is re-sent by the minute check")
    alert_refresh_data: bool = Field(default=True, description="keep the bars of alert pairs "
                                     "nobody watches fresh (the jobs layer's refresh_data)")


def backoff_s(attempt: int, settings: AlertSettings) -> float:
    """Delay before attempt ``attempt + 1``: base, 2x base, 4x base ... capped."""
    return exponential_backoff_s(attempt - 1, first_s=settings.alert_retry_base_s,
                                 max_s=settings.alert_retry_max_s)


@functools.cache
def _engine_url() -> str:
    return core_settings().resolved_database_url()


def engine() -> Engine:
    return open_database(_engine_url())


def _publisher() -> Any:
    from workers.connections import redis_client

    return redis_client()


# --- one delivery attempt --------------------------------------------------------------------

def claim(db: Engine, delivery_id: int, now: datetime, settings: AlertSettings) -> bool:
    """Reserve a due delivery for this worker; False when it is not due or someone has it."""
    d = notification_deliveries.c
    # A retry task may arrive a little before its stored time: accept a second of slack.
    due = or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now + timedelta(seconds=1))
    with write_transaction(db) as connection:
        taken = connection.execute(update(notification_deliveries).where(
            d.id == delivery_id,
            or_(d.state.in_(("pending", "retrying")) & due,
                (d.state == "sending") & (d.lease_until < now))).values(
            state="sending", lease_until=now + timedelta(seconds=settings.alert_lease_s),
            updated_at=now)).rowcount
    return bool(taken)


def _payload(db: Engine, row: Any) -> dict[str, Any]:
    if row.event_id is None:
        payload = json.loads(row.test_payload_json or "{}")
    else:
        with db.connect() as connection:
            event = connection.execute(select(alert_events.c.payload_json).where(
                alert_events.c.id == row.event_id)).scalar_one()
        payload = json.loads(event)
    return {**payload, "event_id": row.event_id, "delivery_id": row.id,
            "owner_id": row.owner_id}


def deliver_once(db: Engine, delivery_id: int, settings: AlertSettings | None = None,
                 publisher: Any = None) -> dict[str, Any]:
    """Make one attempt of a delivery; returns its state and, when retrying, the delay."""
    settings = settings or load_settings(AlertSettings)
    now = now_utc()
    if not claim(db, delivery_id, now, settings):
        return {"delivery_id": delivery_id, "state": "skipped"}
    d = notification_deliveries.c
    with db.connect() as connection:
        row = connection.execute(select(notification_deliveries).where(
            d.id == delivery_id)).one()
        config, failing = channel_config(connection, row.owner_id, row.channel)
    attempt = int(row.attempts) + 1
    started = time.perf_counter()
    error: ChannelError | None = None
    detail = ""
    try:
        detail = send(row.channel, _payload(db, row), config, publisher).detail
    except ChannelError as failure:
        error = failure
        detail = str(failure)
    except Exception as failure:  # noqa: BLE001 - any surprise is a failed, logged attempt
        logger.exception("delivery %d raised", delivery_id)
        error = ChannelError(f"{type(failure).__name__}: {failure}")
        detail = str(error)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    if row.channel in ("webhook", "email"):
        failing = record_channel_health(db, row.owner_id, row.channel, error is None,
                                        None if error is None else detail,
                                        settings.alert_failing_after)
    limit = int(row.max_attempts) or settings.alert_max_attempts
    retry = error is not None and error.retryable and attempt < limit and not failing
    state = "delivered" if error is None else ("retrying" if retry else "failed")
    delay = backoff_s(attempt, settings) if retry else None
    finished = now_utc()
    with write_transaction(db) as connection:
        connection.execute(insert(delivery_attempts).values(
            delivery_id=delivery_id, attempt=attempt, at=finished, duration_ms=elapsed_ms,
            ok=error is None, detail=detail[:2000]))
        connection.execute(update(notification_deliveries).where(d.id == delivery_id).values(
            state=state, attempts=attempt, lease_until=None, updated_at=finished,
            last_error=None if error is None else detail[:2000],
            delivered_at=finished if error is None else None,
            next_attempt_at=finished + timedelta(seconds=delay) if delay else None))
    log = logger.info if error is None else logger.warning
    log("delivery %d (%s) attempt %d: %s -> %s", delivery_id, row.channel, attempt, detail,
        state)
    return {"delivery_id": delivery_id, "state": state, "attempt": attempt,
            "retry_in_s": delay, "detail": detail}


def overdue(db: Engine, now: datetime, settings: AlertSettings, limit: int = 500) -> list[int]:
    """Deliveries a worker should have sent by now (lost task, dead worker)."""
    d = notification_deliveries.c
    late = now - timedelta(seconds=settings.alert_overdue_s)
    with db.connect() as connection:
        rows = connection.execute(select(d.id).where(
            d.channel.in_(WORKER_CHANNELS),
            or_(d.state.in_(("pending", "retrying")) & (d.next_attempt_at <= late),
                (d.state == "sending") & (d.lease_until < now))).order_by(d.id).limit(
            limit)).scalars().all()
    return [int(r) for r in rows]


# --- tasks -----------------------------------------------------------------------------------

def enqueue(delivery_ids: list[int], countdown: float | None = None) -> None:
    for delivery_id in delivery_ids:
        deliver.apply_async(args=[delivery_id], countdown=countdown)


def pd_timestamp(epoch_s: int) -> Any:
    import pandas as pd

    return pd.Timestamp(epoch_s, unit="s", tz="UTC")


REFRESH_CHUNK = 20  # symbols per refresh task: a slow provider delays few alerts
MIN_REFRESH_S = 900  # the data layer refetches a series at most this often (MIN_REFRESH_AGE)
REFRESH_BARS = 600  # history a first refresh asks for: more than any rule's look-back


def due_for_refresh(db: Engine, now: datetime) -> dict[str, list[str]]:
    """Alert pairs whose next bar has closed after the newest cached one and that were not
    fetched recently (within one bar, at most 15 minutes), by interval."""
    from ml.data.intervals import interval_seconds
    from ml.db.schema import alert_rules, fetch_state

    with db.connect() as connection:
        pairs = {(r.symbol, r.interval) for r in connection.execute(
            select(alert_rules.c.symbol, alert_rules.c.interval).where(
                alert_rules.c.active.is_(True)).distinct())}
        states = {(r.symbol, r.interval): r for r in connection.execute(
            select(fetch_state.c.symbol, fetch_state.c.interval, fetch_state.c.fetched_at,
                   fetch_state.c.last_complete_ts))}
    due: dict[str, list[str]] = {}
    for symbol, interval in sorted(pairs):
        if symbol.startswith("csv:"):
            continue  # imported files have no provider to ask
        step = interval_seconds(interval)
        state = states.get((symbol, interval))
        if state is not None:
            fetched = state.fetched_at if state.fetched_at.tzinfo else state.fetched_at.replace(
                tzinfo=now.tzinfo)
            closed = state.last_complete_ts is None or \
                state.last_complete_ts + 2 * step <= now.timestamp()
            if not closed or (now - fetched).total_seconds() < min(step, MIN_REFRESH_S):
                continue
        due.setdefault(interval, []).append(symbol)
    return due


def queue_refreshes(db: Engine, now: datetime, celery: Any = None,
                    client: Any = None) -> list[str]:
    """Send ``refresh_series`` for the due alert pairs; a Redis key per pair keeps one in
    flight per period even when the fetch keeps failing (unknown symbol, provider down)."""
    from ml.data.intervals import interval_seconds

    celery = celery or app
    client = client if client is not None else _publisher()
    sent = []
    for interval, symbols in due_for_refresh(db, now).items():
        period = max(60, min(interval_seconds(interval), MIN_REFRESH_S))
        if client is not None:
            symbols = [s for s in symbols if client.set(
                f"foresight:alerts:refresh:{s}:{interval}", "1", nx=True, ex=period)]
        for start in range(0, len(symbols), REFRESH_CHUNK):
            result = celery.send_task("workers.alert_tasks.refresh_series",
                                      args=[symbols[start:start + REFRESH_CHUNK], interval])
            sent.append(str(result.id))
    return sent


def run_checks(db: Engine, only: list[tuple[str, str]] | None = None,
               now: datetime | None = None, reevaluate_bars: int = 0) -> dict[str, Any]:
    """Evaluate, then enqueue the new deliveries and anything overdue.

    What ``workers.tasks.check_alerts`` (beat, every minute) and the tasks below run.
    """
    from ml.alerts import evaluate

    settings = load_settings(AlertSettings)
    report = evaluate(db, now, only, reevaluate_bars=reevaluate_bars)
    fresh = [delivery_id for delivery_id, _ in report.deliveries]
    known = set(fresh)
    late = [i for i in overdue(db, now or now_utc(), settings) if i not in known]
    enqueue(fresh + late)
    result = report.to_dict()
    result["resent_overdue"] = late
    if only is None and settings.alert_refresh_data:
        try:
            result["refresh_tasks"] = queue_refreshes(db, now or now_utc())
        except Exception as error:  # noqa: BLE001 - a refresh problem must not stop alerts
            logger.warning("could not queue data refresh for alert pairs: %s", error)
            result["refresh_tasks"] = []
    if report.events:
        logger.info("alerts: %d event(s), %d delivery job(s) on %d series", len(report.events),
                    len(fresh), report.series)
    return result


@app.task(name="workers.alert_tasks.check")
def check(reevaluate_bars: int = 0) -> dict[str, Any]:
    """Every active rule against bars closed since the last check."""
    return run_checks(engine(), reevaluate_bars=int(reevaluate_bars))


@app.task(name="workers.alert_tasks.evaluate_series")
def evaluate_series(symbol: str, interval: str) -> dict[str, Any]:
    """Right after new bars of one series are stored: its rules only, no minute wait."""
    return run_checks(engine(), only=[(symbol, interval)])


@app.task(name="workers.alert_tasks.refresh_series")
def refresh_series(symbols: list[str], interval: str) -> dict[str, Any]:
    """Fetch the new bars of alert pairs (the data layer asks the provider only when a bar is
    due) and evaluate those series at once: bar close -> alert without waiting for a check."""
    from ml.data import load_bars
    from ml.data.intervals import interval_seconds
    from ml.db.schema import fetch_state

    db = engine()
    step = interval_seconds(interval)
    with db.connect() as connection:
        last = {r.symbol: r.last_complete_ts for r in connection.execute(
            select(fetch_state.c.symbol, fetch_state.c.last_complete_ts).where(
                fetch_state.c.interval == interval, fetch_state.c.symbol.in_(symbols)))}
    refreshed, failed = [], {}
    for symbol in symbols:
        # Known series: read back only the last few bars (the refresh itself resumes after
        # the last complete bar). New ones: their history, up to the provider's limits.
        ts = last.get(symbol)
        start = (pd_timestamp(ts - 5 * step) if ts is not None else
                 now_utc() - timedelta(seconds=step * REFRESH_BARS) if step < 86400 else None)
        try:
            load_bars(symbol, interval, start=start, engine=db, refresh=True)
            refreshed.append(symbol)
        except ValueError as error:  # the data layer's named errors: reported, not retried
            failed[symbol] = str(error)
    result = run_checks(db, only=[(s, interval) for s in refreshed]) if refreshed else {}
    return {"refreshed": refreshed, "failed": failed, "check": result}


@app.task(name="workers.alert_tasks.deliver", acks_late=True)
def deliver(delivery_id: int) -> dict[str, Any]:
    """One attempt of one delivery; schedules the next attempt itself on a retryable error."""
    outcome = deliver_once(engine(), int(delivery_id), publisher=_publisher())
    if outcome.get("retry_in_s"):
        deliver.apply_async(args=[delivery_id], countdown=outcome["retry_in_s"])
    return outcome


def delivery_state(db: Engine, delivery_id: int) -> str | None:
    with db.connect() as connection:
        state = connection.execute(select(notification_deliveries.c.state).where(
            notification_deliveries.c.id == delivery_id)).scalar()
    return str(state) if state is not None else None

