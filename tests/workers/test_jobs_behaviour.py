"""The job layer with a real Redis and real worker processes: training end to end, bad input,
transient errors, cancellation, a Redis restart and a burst on two workers.

The tests share one Redis, database and worker per module and run in file order: the first
one trains the model that the later ones (forecasts, drift, the burst) use.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select

from ml.db.schema import forecasts, jobs, model_drift
from ml.forecast import registry
from tests.workers.conftest import TINY_CONFIG, JobsStack, job_row, version_count, wait_for
from workers import jobs as job_rows
from workers.submit import JobsUnavailable, submit_job

pytestmark = pytest.mark.slow


def _finished(stack: JobsStack, job_id: str, timeout_s: float = 120) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        row = job_rows.get_job(stack.engine, job_id)
        return row if row and row["state"] in job_rows.FINISHED_STATES else None
    return wait_for(done, timeout_s, f"job {job_id} to finish", every_s=0.2)


def _submit(stack: JobsStack, client: Any, name: str, kwargs: dict[str, Any],
            who: str = "test") -> str:
    import redis

    with redis.Redis.from_url(stack.redis.url) as connection:
        return submit_job(client, stack.engine, connection, name, kwargs, who,
                          lock_ttl_s=60).job_id


def test_training_reports_progress_registers_and_forecasts(stack: JobsStack, worker_a: Any,
                                                           web_jobs: Any) -> None:
    config = dict(TINY_CONFIG, epochs=6)
    job_id = web_jobs.submit("train_model", {"symbol": "sample:SPX", "interval": "1d",
                                             "config": config}, "alice")
    # A second request for the same pair while it runs gets the running job's id.
    assert web_jobs.submit("train_model", {"symbol": "sample:SPX", "interval": "1d",
                                           "config": config}, "bob") == job_id
    seen_epochs: set[int] = set()

    def finished() -> bool:
        status = web_jobs.job_status(job_id)
        progress = status.get("progress") or {}
        if status["state"] == "PROGRESS" and progress.get("phase") == "train":
            assert progress["epochs"] == 6 and 1 <= progress["epoch"] <= 6
            assert progress["loss"] > 0 and progress["val_loss"] > 0
            seen_epochs.add(progress["epoch"])
        return status["state"] in job_rows.FINISHED_STATES

    wait_for(finished, 120, "training to finish", every_s=0.02)
    status = web_jobs.job_status(job_id)
    assert status["state"] == "SUCCESS", status
    assert seen_epochs, "no per-epoch progress was observed"
    assert status["requested_by"] == "alice" and status["attempts"] == 1
    assert status["started_at"] and status["finished_at"]
    result = status["result"]
    assert result["promoted"] is True and result["reason"] == "no active model yet"
    active = registry.active_version(stack.engine, "sample:SPX", "1d")
    assert active.id == result["version_id"]
    assert active.metrics["promotion"]["promoted"] is True
    # Promotion queued a forecast: stored in Redis (latest) and in the database (history).
    from ml.forecast.store import latest_forecast

    wait_for(lambda: latest_forecast(stack.engine, "sample:SPX", "1d"), 60, "the forecast")
    import redis

    with redis.Redis.from_url(stack.redis.url) as connection:
        latest = latest_forecast(stack.engine, "sample:SPX", "1d", connection)
    assert latest is not None and latest["model_version_id"] == active.id
    assert len(latest["prices"]) == 2
    listed = web_jobs.list_jobs(requested_by="alice", task="train_model")
    assert [j["id"] for j in listed] == [job_id]
    short = _finished(stack, web_jobs.submit("predict", {"symbol": "sample:SPX", "interval": "1d",
                                                         "horizon": 1}, "alice"))
    assert short["state"] == "SUCCESS" and len(short["result"]["prices"]) == 1
    assert short["result"]["stored_new"] is False  # the same origin bar: stored once
    too_far = _finished(stack, web_jobs.submit("predict", {"symbol": "sample:SPX",
                                                           "interval": "1d", "horizon": 9},
                                               "alice"))
    assert too_far["state"] == "FAILURE" and "horizon must be" in too_far["error"]


def test_a_weaker_retrain_is_kept_as_candidate_with_its_reason(stack: JobsStack,
                                                               worker_a: Any,
                                                               client: Any) -> None:
    """Same data, same seed, same config: not better, so the active version stays."""
    before = registry.active_version(stack.engine, "sample:SPX", "1d")
    config = dict(TINY_CONFIG, epochs=6)
    job_id = _submit(stack, client, "train_model", {"symbol": "sample:SPX", "interval": "1d",
                                                    "config": config})
    row = _finished(stack, job_id)
    assert row["state"] == "SUCCESS", row
    assert row["result"]["promoted"] is False
    assert "does not beat active" in row["result"]["reason"]
    assert registry.active_version(stack.engine, "sample:SPX", "1d").id == before.id
    candidate = registry.get_version(stack.engine, row["result"]["version_id"])
    assert candidate.metrics["promotion"]["reason"] == row["result"]["reason"]


def test_backtest_runs_walk_forward_on_the_training_queue(stack: JobsStack, worker_a: Any,
                                                         client: Any) -> None:
    job_id = _submit(stack, client, "run_backtest", {
        "symbol": "sample:SPX", "interval": "1d", "config": TINY_CONFIG, "folds": 2})
    row = _finished(stack, job_id)
    assert row["state"] == "SUCCESS", row
    report = row["result"]["report"]
    assert [fold["fold"] for fold in report["folds"]] == [1, 2]
    assert report["summary"]["verdict"] in {"skill", "no skill"}
    series = report["predictions"]  # the out-of-sample forecasts the Forecast page draws
    assert series["kept"] == min(series["total"], 2000) and series["total"] == report["samples"]
    assert {len(series[key]) for key in ("timestamp", "fold", "actual", "predicted",
                                         "lower_80", "upper_95")} == {series["kept"]}
    assert series["fold"][-1] == 2 and series["timestamp"][-1] > report["period"]["last"]
    assert version_count(stack, "sample:SPX") == 2  # a backtest registers nothing


def test_unknown_symbol_fails_once_with_its_message_and_no_registry_trace(
        stack: JobsStack, worker_a: Any, client: Any) -> None:
    job_id = _submit(stack, client, "train_model", {"symbol": "sample:NOSUCH",
                                                    "interval": "1d", "config": TINY_CONFIG})
    row = _finished(stack, job_id, timeout_s=60)
    assert row["state"] == "FAILURE"
    assert "NOSUCH" in row["error"]
    assert row["attempts"] == 1
    assert version_count(stack, "sample:NOSUCH") == 0
    assert client.AsyncResult(job_id).state == "FAILURE"


def test_transient_data_error_is_retried_with_backoff_then_given_up(
        stack: JobsStack, worker_a: Any, client: Any) -> None:
    """Yahoo is unreachable (the test proxy is dead): a network error, so retried."""
    job_id = _submit(stack, client, "refresh_data", {"symbols": ["AAPL"], "interval": "1d"})
    row = _finished(stack, job_id, timeout_s=90)
    assert row["state"] == "FAILURE", row
    assert row["attempts"] == 3  # the first try and FORESIGHT_JOBS_MAX_RETRIES=2 retries
    assert row["error"].startswith("gave up after 3 attempts")
    delays = [r["retry_in_s"] for r in row["progress"]["retries"]]
    assert delays == [0.3, 0.6]  # exponential backoff


def test_cancelled_training_stops_between_batches(stack: JobsStack, worker_a: Any,
                                                  web_jobs: Any) -> None:
    config = dict(TINY_CONFIG, epochs=2000, batch_size=32)
    job_id = web_jobs.submit("train_model", {"symbol": "sample:GOOG", "interval": "1d",
                                             "config": config}, "carol")
    wait_for(lambda: (web_jobs.job_status(job_id).get("progress") or {}).get("epoch"), 90,
             "the first epoch")
    assert web_jobs.cancel(job_id) is True
    row = _finished(stack, job_id, timeout_s=30)
    assert row["state"] == "CANCELLED"
    assert row["progress"]["epoch"] < 2000
    assert version_count(stack, "sample:GOOG") == 0
    assert web_jobs.job_status(job_id)["state"] == "CANCELLED"
    assert web_jobs.cancel(job_id) is False  # already finished
    # The lock is free again: a new training of the pair gets a new job.
    again = web_jobs.submit("train_model", {"symbol": "sample:GOOG", "interval": "1d",
                                            "config": TINY_CONFIG}, "carol")
    assert again != job_id
    assert _finished(stack, again)["state"] == "SUCCESS"


def test_worker_reconnects_after_redis_restart(stack: JobsStack, worker_a: Any,
                                               client: Any) -> None:
    assert client.send_task("workers.tasks.echo", args=[{"n": 1}]).get(timeout=30)
    stack.redis.restart()
    time.sleep(1.0)
    reply = client.send_task("workers.tasks.echo", args=[{"n": 2}])
    assert reply.get(timeout=60)["payload"] == {"n": 2}
    job_id = _submit(stack, client, "update_drift", {"symbol": "sample:SPX", "interval": "1d"})
    assert _finished(stack, job_id, timeout_s=60)["state"] == "SUCCESS"


def test_submit_fails_fast_when_the_broker_is_down(stack: JobsStack, worker_a: Any,
                                                   web_jobs: Any) -> None:
    stack.redis.stop()
    try:
        assert web_jobs.jobs_available() is False
        with pytest.raises(JobsUnavailable):
            web_jobs.submit("echo", {"payload": {}}, "dave")
    finally:
        stack.redis.start()
    job_id = web_jobs.submit("echo", {"payload": {"back": True}}, "dave")
    assert job_id


def test_submit_does_not_hang_on_a_frozen_broker(stack: JobsStack, worker_a: Any,
                                                 web_jobs: Any) -> None:
    """Redis stopped with SIGSTOP accepts connections but never answers: bounded by timeouts."""
    outcome: list[BaseException | str] = []

    def attempt() -> None:
        try:
            outcome.append(web_jobs.submit("echo", {"payload": {}}, "erin"))
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome.append(error)

    assert stack.redis.process is not None
    os.kill(stack.redis.process.pid, signal.SIGSTOP)
    try:
        thread = threading.Thread(target=attempt, daemon=True)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "submit hung on a frozen broker"
    finally:
        os.kill(stack.redis.process.pid, signal.SIGCONT)
    assert len(outcome) == 1 and isinstance(outcome[0], JobsUnavailable), outcome


def test_burst_of_fifty_mixed_tasks_on_two_workers_runs_each_once(
        stack: JobsStack, worker_a: Any, client: Any) -> None:
    worker_b = stack.worker("beta")
    try:
        kinds = [("predict", {"symbol": "sample:SPX", "interval": "1d"}),
                 ("refresh_data", {"symbols": ["sample:SPX", "sample:GOOG"], "interval": "1d"}),
                 ("update_drift", {"symbol": "sample:SPX", "interval": "1d"}),
                 ("check_alerts", {}),
                 ("retrain_stale", {}),
                 ("refresh_watched", {}),
                 ("prune_jobs", {})]
        ids = [_submit(stack, client, *kinds[i % len(kinds)], who="burst") for i in range(50)]
        for job_id in ids:
            row = _finished(stack, job_id, timeout_s=180)
            assert row["state"] == "SUCCESS", (row["task"], row["error"])
        with stack.engine.connect() as connection:
            attempts = dict(connection.execute(select(jobs.c.id, jobs.c.attempts)
                                               .where(jobs.c.id.in_(ids))).all())
            stored = connection.execute(select(func.count()).select_from(forecasts)).scalar()
        assert sorted(attempts) == sorted(ids)
        assert set(attempts.values()) == {1}, Counter(attempts.values())
        workers = Counter(job_row(stack, i)["worker"].split("@")[0] for i in ids)
        assert set(workers) == {"alpha", "beta"}, workers
        assert stored >= 1  # predictions of one origin bar stored once (idempotent)
    finally:
        worker_b.stop()


def test_drift_flag_makes_retrain_stale_queue_a_training(stack: JobsStack, worker_a: Any,
                                                         client: Any) -> None:
    active = registry.active_version(stack.engine, "sample:SPX", "1d")
    now = datetime.now(UTC)
    with stack.engine.begin() as connection:
        connection.execute(delete(model_drift))
        connection.execute(insert(model_drift).values(
            symbol="sample:SPX", interval="1d", model_version_id=active.id, state_json="{}",
            last_scored_ts=None, flagged=True, reason="test: injected", flagged_at=now,
            updated_at=now))
    job_id = _submit(stack, client, "retrain_stale", {})
    row = _finished(stack, job_id)
    assert row["state"] == "SUCCESS", row
    [queued] = row["result"]["queued"]
    assert queued["symbol"] == "sample:SPX" and queued["reason"] == "drift"
    retrain = _finished(stack, queued["job_id"])
    assert retrain["state"] == "SUCCESS", retrain
    assert retrain["requested_by"] == "retrain_stale"
    assert retrain["args"]["config"] == active.config


def test_job_status_repairs_a_row_whose_worker_could_not_write(stack: JobsStack,
                                                               worker_a: Any,
                                                               web_jobs: Any) -> None:
    """A hard time limit kills the pool process before it writes: Celery's state wins."""
    job_rows.record_submitted(stack.engine, "killed-by-limit", "workers.tasks.train_model",
                              {}, "hank")
    job_rows.record_started(stack.engine, "killed-by-limit", "workers.tasks.train_model", {},
                            "w")
    from celery.exceptions import TimeLimitExceeded

    backend = web_jobs.services.celery_client().backend
    backend.mark_as_failure("killed-by-limit", TimeLimitExceeded(45.0))
    [listed] = web_jobs.list_jobs(requested_by="hank")
    assert listed["state"] == "FAILURE"
    status = web_jobs.job_status("killed-by-limit")
    assert status["state"] == "FAILURE" and "TimeLimitExceeded" in status["error"]
    assert job_row(stack, "killed-by-limit")["state"] == "FAILURE"
    assert web_jobs.job_status("no-such-job") == {"id": "no-such-job", "state": "UNKNOWN"}



def test_a_job_whose_worker_keeps_dying_is_given_up(stack: JobsStack, worker_a: Any,
                                                    client: Any) -> None:
    """``task_reject_on_worker_lost`` requeues such a job each time: the row counts the
    deliveries and the fifth (the fourth loss) fails it instead of looping for ever."""
    job_rows.record_submitted(stack.engine, "crashy", "workers.tasks.check_alerts", {}, "ivy")
    with stack.engine.begin() as connection:
        connection.execute(jobs.update().where(jobs.c.id == "crashy").values(attempts=4))
    client.send_task("workers.tasks.check_alerts", kwargs={}, task_id="crashy")
    row = _finished(stack, "crashy", timeout_s=60)
    assert row["state"] == "FAILURE" and row["attempts"] == 5
    assert "lost 4 times" in row["error"]


def test_training_survives_a_redis_restart_and_takes_its_lock_again(
        stack: JobsStack, worker_a: Any, web_jobs: Any) -> None:
    import redis

    from workers.locks import holder, training_lock_key

    config = dict(TINY_CONFIG, epochs=3000, batch_size=32)
    job_id = web_jobs.submit("train_model", {"symbol": "sample:GOOG", "interval": "1d",
                                             "config": config}, "judy")
    wait_for(lambda: (job_row(stack, job_id)["progress"] or {}).get("epoch"), 90, "an epoch")
    stack.redis.restart()
    key = training_lock_key("sample:GOOG", "1d")
    with redis.Redis.from_url(stack.redis.url) as connection:
        connection.delete(key)  # as if Redis had come back empty
        epoch = job_row(stack, job_id)["progress"]["epoch"]
        wait_for(lambda: job_row(stack, job_id)["progress"]["epoch"] > epoch + 2, 60,
                 "training to go on after the restart")
        assert holder(connection, key) == job_id
    assert web_jobs.submit("train_model", {"symbol": "sample:GOOG", "interval": "1d",
                                           "config": config}, "judy") == job_id
    assert web_jobs.cancel(job_id)
    assert _finished(stack, job_id, timeout_s=60)["state"] == "CANCELLED"
