"""The job layer's parts on a real database and Redis: job rows, the training lock, submission
checks, the schedule, stored forecasts and drift scoring of stored forecasts."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import redis
from sqlalchemy import Engine, insert

from ml.db.schema import model_versions
from ml.forecast.drift import DriftConfig
from ml.forecast.store import build_payload, forecast_history, latest_forecast, save_forecast
from workers import jobs as job_rows, locks, schedule
from workers.drift_job import flagged_pairs, score_new_bars
from workers.submit import JobsUnavailable, check_kwargs, submit_job, task_name


def _version_row(engine: Engine, symbol: str = "sample:SPX", interval: str = "1d") -> int:
    """A registry row to hang forecasts on (the bytes are not a model: never loaded here)."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        return int(connection.execute(insert(model_versions).returning(model_versions.c.id), {
            "symbol": symbol, "interval": interval, "target": "returns", "version": 1,
            "kind": "lstm", "config_json": "{}", "features_json": "[]", "data_first": now,
            "data_last": now, "data_rows": 1, "data_hash": "0" * 64, "code_version": "test",
            "metrics_json": "{}", "created_at": now, "keras_bytes": b"x",
            "keras_sha256": hashlib.sha256(b"x").hexdigest(), "state_json": "{}"}).scalar_one())


# --- job rows ----------------------------------------------------------------------------

def test_job_row_lifecycle_and_listing(engine: Engine) -> None:
    job_rows.record_submitted(engine, "j1", "workers.tasks.predict", {"symbol": "X"}, "ann")
    job_rows.record_submitted(engine, "j1", "workers.tasks.predict", {"symbol": "Y"}, "bob")
    row = job_rows.record_started(engine, "j1", "workers.tasks.predict", {}, "w1")
    assert row["state"] == "STARTED" and row["attempts"] == 1
    assert row["args"] == {"symbol": "X"} and row["requested_by"] == "ann"
    job_rows.record_retry(engine, "j1", "NetworkError: down", 0.5)
    job_rows.record_progress(engine, "j1", {"phase": "again"})
    assert job_rows.get_job(engine, "j1")["progress"]["retries"][0]["retry_in_s"] == 0.5
    assert job_rows.record_started(engine, "j1", "x", {}, "w2")["attempts"] == 2
    job_rows.record_finished(engine, "j1", "SUCCESS", result={"ok": 1})
    # A late delivery of a finished job leaves its row alone.
    row = job_rows.record_started(engine, "j1", "x", {}, "w3")
    assert row["state"] == "SUCCESS" and row["attempts"] == 2 and row["result"] == {"ok": 1}
    assert job_rows.request_cancel(engine, "j1") is False
    # Beat's jobs have no submitted row: starting creates it.
    beat_job = job_rows.record_started(engine, "j2", "workers.tasks.heartbeat", {}, "w")
    assert beat_job["attempts"] == 1
    assert [j["id"] for j in job_rows.list_jobs(engine, requested_by="ann")] == ["j1"]
    assert {j["id"] for j in job_rows.list_jobs(engine, states=("STARTED",))} == {"j2"}
    with pytest.raises(ValueError, match="state must be one of"):
        job_rows.record_finished(engine, "j2", "DONE")


def test_old_finished_jobs_are_pruned(engine: Engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from ml.db.schema import jobs

    for job_id in ("old", "recent", "running"):
        job_rows.record_started(engine, job_id, "workers.tasks.check_alerts", {}, "w")
    for job_id in ("old", "recent"):
        job_rows.record_finished(engine, job_id, "SUCCESS", result={})
    with engine.begin() as connection:
        connection.execute(update(jobs).where(jobs.c.id.in_(["old", "running"])).values(
            finished_at=datetime.now(UTC) - timedelta(days=40),
            created_at=datetime.now(UTC) - timedelta(days=40)))
    assert job_rows.prune_finished(engine, 30) == 1
    assert {j["id"] for j in job_rows.list_jobs(engine)} == {"recent", "running"}
    with pytest.raises(ValueError, match="older_than_days"):
        job_rows.prune_finished(engine, 0)


def test_cancel_flag(engine: Engine) -> None:
    job_rows.record_submitted(engine, "c1", "workers.tasks.train_model", {}, None, "k")
    assert job_rows.active_job_for_lock(engine, "k") == "c1"
    assert job_rows.cancel_requested(engine, "c1") is False
    assert job_rows.request_cancel(engine, "c1") is True
    assert job_rows.cancel_requested(engine, "c1") is True
    assert job_rows.request_cancel(engine, "nope") is False


# --- the lock ----------------------------------------------------------------------------

def test_training_lock_is_exclusive_reentrant_and_released_by_its_holder(
        redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = locks.training_lock_key("sample:SPX", "1d")
    assert locks.acquire(client, key, "a", ttl_s=60) == "a"
    assert locks.acquire(client, key, "b", ttl_s=60) == "a"
    assert locks.acquire(client, key, "a", ttl_s=60) == "a"  # a redelivery re-enters
    assert locks.release(client, key, "b") is False
    assert locks.refresh(client, key, "a", ttl_s=120) is True
    assert 60_000 < client.pttl(key) <= 120_000
    assert locks.steal(client, key, "a", "c", ttl_s=60) is True
    assert locks.holder(client, key) == "c"
    assert locks.release(client, key, "c") is True
    assert locks.holder(client, key) is None
    with pytest.raises(ValueError, match="symbol and interval"):
        locks.training_lock_key("", "1d")


def test_the_takeover_rule_replaces_only_a_finished_holder(engine: Engine,
                                                          redis_url: str) -> None:
    """Submission and the worker's own check share one rule; a holder with no job row yet is a
    submission in flight (the lock comes before the row), so it is never taken over."""
    client = redis.Redis.from_url(redis_url)
    key = locks.training_lock_key("sample:GOOG", "1d")
    finished = lambda holder: job_rows.is_finished(engine, holder)  # noqa: E731
    assert locks.take_unless_running(client, key, "in-flight", 60, finished) is None
    assert locks.take_unless_running(client, key, "second", 60, finished) == "in-flight"
    job_rows.record_submitted(engine, "in-flight", "workers.tasks.train_model", {}, None, key)
    assert locks.take_unless_running(client, key, "second", 60, finished) == "in-flight"
    job_rows.record_finished(engine, "in-flight", job_rows.FAILURE, error="worker died")
    assert locks.take_unless_running(client, key, "second", 60, finished) is None
    assert locks.holder(client, key) == "second"


class _DeadBroker:
    def send_task(self, *args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")


def test_submit_records_and_releases_on_a_dead_broker(engine: Engine, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with pytest.raises(JobsUnavailable, match="unavailable"):
        submit_job(_DeadBroker(), engine, client, "train_model",
                   {"symbol": "sample:SPX", "interval": "1d"}, "ann", lock_ttl_s=60)
    [row] = job_rows.list_jobs(engine)
    assert row["state"] == "FAILURE" and "not sent" in row["error"]
    assert locks.holder(client, locks.training_lock_key("sample:SPX", "1d")) is None


def test_submit_checks_names_and_arguments() -> None:
    assert task_name("predict") == task_name("workers.tasks.predict") == "workers.tasks.predict"
    with pytest.raises(ValueError, match="unknown task 'rm_rf'"):
        task_name("rm_rf")
    with pytest.raises(ValueError, match="needs arguments: interval"):
        check_kwargs("workers.tasks.predict", {"symbol": "X"})
    with pytest.raises(ValueError, match="plain JSON"):
        check_kwargs("workers.tasks.echo", {"payload": {1, 2}})
    with pytest.raises(ValueError, match="plain JSON"):
        check_kwargs("workers.tasks.echo", {"payload": math.nan})


# --- the schedule --------------------------------------------------------------------------

def test_schedule_layers_and_validation(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(schedule.ENV_VAR, json.dumps({"check_alerts": {"every_s": 30}}))
    spec = schedule.save_schedule(engine, {"retrain_stale": {"every_s": 3600},
                                           "heartbeat": {"enabled": False}})
    assert spec["check_alerts"]["every_s"] == 30
    assert spec["retrain_stale"] == {"task": "workers.tasks.retrain_stale", "every_s": 3600,
                                     "enabled": True}
    entries = schedule.beat_schedule(spec)
    assert "heartbeat" not in entries
    assert entries["check_alerts"]["options"] == {"expires": 30.0}
    assert entries["refresh_watched"]["task"] == "workers.tasks.refresh_watched"
    nightly = schedule.beat_schedule(schedule.merge())["retrain_stale"]["schedule"]
    assert nightly.hour == {3} and nightly.minute == {0}
    for bad, message in [({"nope": {}}, "unknown schedule entry"),
                         ({"heartbeat": {"every_s": 1}}, "every_s must be"),
                         ({"heartbeat": {"cron": "* *"}}, "5 fields"),
                         ({"heartbeat": {"cron": "99 * * * *"}}, "not valid"),
                         ({"heartbeat": {"every_s": 60, "cron": "* * * * *"}}, "not both"),
                         ({"heartbeat": {"task": "x"}}, "may set only")]:
        with pytest.raises(ValueError, match=message):
            schedule.validate_overrides(bad)


def test_beat_scheduler_applies_stored_edits(engine: Engine, tmp_path: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from ml.settings import CoreSettings
    from workers.celery_app import create_celery
    from workers.settings import WorkerSettings

    monkeypatch.setenv("FORESIGHT_DATABASE_URL", str(engine.url))
    app = create_celery(WorkerSettings(redis_url=""), CoreSettings(var_dir=tmp_path))
    schedule.save_schedule(engine, {"check_alerts": {"enabled": False},
                                    "heartbeat": {"every_s": 15}})
    scheduler = schedule.DatabaseScheduler(app=app, schedule_filename=str(tmp_path / "beat"))
    try:
        assert "check_alerts" not in scheduler.schedule
        assert scheduler.schedule["heartbeat"].schedule.run_every.total_seconds() == 15
        schedule.save_schedule(engine, {"check_alerts": {"every_s": 20}})
        scheduler._reload(force=True)
        assert scheduler.schedule["check_alerts"].schedule.run_every.total_seconds() == 20
        assert scheduler.schedule["heartbeat"].schedule.run_every.total_seconds() == 60
    finally:
        scheduler.close()


# --- stored forecasts and drift --------------------------------------------------------

def _forecast(origin: pd.Timestamp, close: float, band: float) -> dict[str, Any]:
    return {"origin": origin.isoformat(), "last_close": close, "target": "returns",
            "horizons": [1], "central": [0.0], "prices": [close],
            "bands": {"0.8": {"lower": [close * math.exp(-band)],
                              "upper": [close * math.exp(band)]}}}


def test_forecasts_are_stored_once_and_the_latest_is_served_from_redis(
        engine: Engine, redis_url: str) -> None:
    version_id = _version_row(engine)
    client = redis.Redis.from_url(redis_url)
    day = pd.Timestamp("2024-01-02", tz="UTC")
    first = build_payload("sample:SPX", "1d", version_id, _forecast(day, 100.0, 0.01))
    later = build_payload("sample:SPX", "1d", version_id,
                          _forecast(day + pd.Timedelta(days=1), 101.0, 0.01))
    assert save_forecast(engine, later, client) is True
    assert save_forecast(engine, first, client) is True
    assert save_forecast(engine, first, client) is False  # a redelivery stores nothing new
    assert latest_forecast(engine, "sample:SPX", "1d", client)["last_close"] == 101.0
    client.flushall()  # Redis lost: the database still answers
    assert latest_forecast(engine, "sample:SPX", "1d", client)["last_close"] == 101.0
    assert [f["last_close"] for f in forecast_history(engine, "sample:SPX", "1d")] == [101.0,
                                                                                       100.0]
    assert latest_forecast(engine, "sample:NONE", "1d") is None


def test_drift_scoring_flags_an_injected_volatility_shift(engine: Engine) -> None:
    """Random-walk forecasts scored on bars whose volatility triples at bar 200."""
    rng = np.random.default_rng(11)
    sigma = 0.01
    returns = np.concatenate([rng.normal(0, sigma, 200), rng.normal(0, 3 * sigma, 100)])
    index = pd.date_range("2023-01-02", periods=300, freq="1D", tz="UTC", name="timestamp")
    close = 100 * np.exp(np.cumsum(returns))
    bars = pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                         "volume": 1.0}, index=index)
    version_id = _version_row(engine)
    version = SimpleNamespace(id=version_id, target="returns", metrics={
        "drift_reference": {"abs_error_h1": sigma * math.sqrt(2 / math.pi)}})
    band = 1.2816 * sigma  # the 80% band of a N(0, sigma) one-bar return
    for position in range(100, 300):
        save_forecast(engine, build_payload("sample:SPX", "1d", version_id,
                                            _forecast(index[position], close[position], band)))
    # Scoring happens as bars arrive: first the calm part only.
    calm = score_new_bars(engine, "sample:SPX", "1d", version, bars.iloc[:200], DriftConfig())
    assert calm["scored"] == 99 and calm["flagged"] is False
    assert flagged_pairs(engine) == []
    shifted = score_new_bars(engine, "sample:SPX", "1d", version, bars, DriftConfig())
    assert shifted["flagged"] and shifted["newly_flagged"]
    assert shifted["scored"] == 100  # the last origin's next bar does not exist yet
    state = json.loads(_drift_state(engine))
    # The first scored error after the shift is at bar 100 (origin 199 -> bar 200).
    assert state["flagged_at_bar"] - 100 <= 20
    assert flagged_pairs(engine) == [("sample:SPX", "1d", version_id)]
    again = score_new_bars(engine, "sample:SPX", "1d", version, bars, DriftConfig())
    assert again["scored"] == 0 and again["flagged"] and not again["newly_flagged"]


def _drift_state(engine: Engine) -> str:
    from sqlalchemy import select

    from ml.db.schema import model_drift

    with engine.connect() as connection:
        return str(connection.execute(select(model_drift.c.state_json)).scalar_one())


def test_watched_pairs_come_from_models_watchlists_and_settings(engine: Engine) -> None:
    from ml.db.schema import active_models, app_settings, model_activations
    from workers.watchlist import watched_pairs

    version_id = _version_row(engine, "sample:GOOG", "1d")
    now = datetime.now(UTC)
    with engine.begin() as connection:
        activation = connection.execute(insert(model_activations).returning(
            model_activations.c.id), {"symbol": "sample:GOOG", "interval": "1d",
                                      "target": "returns", "version_id": version_id,
                                      "previous_id": None, "action": "promote",
                                      "at": now}).scalar_one()
        connection.execute(insert(active_models).values(
            symbol="sample:GOOG", interval="1d", target="returns", version_id=version_id,
            activation_id=activation))
        connection.execute(insert(app_settings).values(
            key="jobs.watchlist", value_json=json.dumps([["BTC-USD", "1h"]]), updated_at=now))
    assert watched_pairs(engine) == [("BTC-USD", "1h", False), ("sample:GOOG", "1d", True)]


def test_the_web_job_service_loads_no_task_code_or_keras() -> None:
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    code = ("import sys, webapp.jobs; bad = [m for m in ('keras', 'jax', 'workers.tasks', "
            "'ml.forecast.training') if m in sys.modules]; sys.exit(str(bad) if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout



@pytest.mark.slow
def test_beat_process_runs_the_layered_schedule(tmp_path: Any, redis_url: str) -> None:
    """A real ``celery beat``: the stored edit (heartbeat every 5 s, alerts off) and the
    environment's (refresh_watched every 6 s) are what it sends."""
    import subprocess
    import sys
    import time

    from ml.db import open_database
    from tests.conftest import PROJECT_ROOT, service_env

    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    schedule.save_schedule(open_database(database_url), {"heartbeat": {"every_s": 5},
                                                         "check_alerts": {"enabled": False}})
    env = service_env(redis_url=redis_url, database_url=database_url, var_dir=tmp_path)
    env[schedule.ENV_VAR] = json.dumps({"refresh_watched": {"every_s": 6}})
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log:
        beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers.celery_app",
                                 "beat", "--loglevel", "INFO", "--schedule",
                                 str(tmp_path / "beat-schedule")], env=env, cwd=PROJECT_ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                text = log_path.read_text()
                if "Sending due task refresh_watched" in text:
                    break
                assert beat.poll() is None, text
                time.sleep(0.2)
        finally:
            beat.terminate()
            beat.wait(timeout=20)
    text = log_path.read_text()
    assert "beat schedule: heartbeat, prune_jobs, refresh_watched, retrain_stale" in text
    assert "Sending due task heartbeat (workers.tasks.heartbeat)" in text
    assert "Sending due task refresh_watched" in text
    assert "check_alerts" not in text
