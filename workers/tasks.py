"""Tasks: thin wrappers around ``ml``. JSON keyword arguments in, JSON results out.

Every job task runs through :meth:`workers.runtime.JobTask.run_job` (job row, retries with
backoff for transient errors only, cancellation). Tasks re-read their data from the database,
so running one twice gives the same outcome.

Alert hook: ``check_alerts`` runs ``workers.alert_tasks.run_checks(engine)`` when that module
exists (the alert engine's issue provides it) and returns its JSON result.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from ml.json_values import json_safe
from workers.celery_app import app
from workers.connections import engine, redis_client
from workers.runtime import JobFailed, JobTask

logger = logging.getLogger(__name__)


def job_task(name: str, **options: Any) -> Any:
    """Register ``body(task, **kwargs)`` as the job task ``workers.tasks.<name>``."""
    def decorate(body: Any) -> Any:
        @app.task(name=f"workers.tasks.{name}", base=JobTask, bind=True, **options)
        @functools.wraps(body)
        def task(self: JobTask, **kwargs: Any) -> Any:
            return self.run_job(body, kwargs)
        return task
    return decorate


# --- round trip and beat health (no job row: they run every minute) ------------------------

@app.task(name="workers.tasks.echo")
def echo(payload: dict[str, Any]) -> dict[str, Any]:
    """Round trip check: proves broker, worker and result backend work together."""
    return {"payload": payload, "worker": f"{socket.gethostname()}:{os.getpid()}",
            "at": datetime.now(UTC).isoformat()}


@app.task(name="workers.tasks.heartbeat")
def heartbeat() -> str:
    """Beat's tick: its last run time is what the admin page shows as beat's health."""
    now = datetime.now(UTC).isoformat()
    logger.info("heartbeat %s", now)
    return now


@app.task(name="workers.tasks.started_at")
def started_at(sent_at: float) -> dict[str, float]:
    """The wall-clock time the task body started (the latency benchmark's probe)."""
    import time

    return {"sent_at": sent_at, "started_at": time.time()}


# --- training, backtests, forecasts -------------------------------------------------------

@job_task("train_model")
def train_model(task: JobTask, symbol: str, interval: str,
                config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Refresh data, train with per-epoch progress, evaluate, register; promote if better."""
    from workers.training_job import train

    result = train(task, symbol, interval, config)
    if result.get("promoted") and not result.get("skipped"):
        _queue("predict", {"symbol": symbol, "interval": interval}, "train_model")
    return result


@job_task("run_backtest")
def run_backtest(task: JobTask, symbol: str, interval: str,
                 config: dict[str, Any] | None = None, folds: int = 3,
                 mode: str = "expanding") -> dict[str, Any]:
    """Walk-forward evaluation: refit on each fold's past, score its unseen block."""
    from ml.forecast import ModelConfig, walk_forward
    from workers.training_job import load_bars_for_job

    try:
        model_config = ModelConfig.from_dict(config or {})
    except (TypeError, ValueError) as error:
        raise JobFailed(f"bad model config: {error}") from error
    task.progress({"phase": "loading data"})
    bars = load_bars_for_job(symbol, interval).bars
    try:
        report = walk_forward(bars, model_config, folds=folds, mode=mode,
                              on_progress=task.progress, should_stop=task.should_stop)
    except ValueError as error:
        raise JobFailed(str(error)) from error
    return {"symbol": symbol, "interval": interval, "config": model_config.to_dict(),
            "report": json_safe(report)}


@job_task("predict")
def predict(task: JobTask, symbol: str, interval: str,
            horizon: int | None = None) -> dict[str, Any]:
    """The active model's forecast from the latest bar, stored (Redis latest, DB history)."""
    from ml.forecast import build_payload, registry, save_forecast
    from workers.training_job import load_bars_for_job

    try:
        version = registry.active_version(engine(), symbol, interval)
    except registry.RegistryError as error:
        raise JobFailed(str(error)) from error
    bars = load_bars_for_job(symbol, interval).bars
    forecaster = _forecaster(str(engine().url), version.id)
    try:
        forecast = forecaster.forecast(bars).to_dict()
    except ValueError as error:
        raise JobFailed(str(error)) from error
    steps = len(forecast["horizons"])
    if horizon is not None:
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= steps:
            raise JobFailed(f"horizon must be an integer between 1 and {steps} (the model's "
                            f"horizon), got {horizon!r}")
        steps = horizon
    payload = build_payload(symbol, interval, version.id, forecast)
    stored = save_forecast(engine(), payload, redis_client())
    return {"symbol": symbol, "interval": interval, "model_version_id": version.id,
            "version": version.version, "origin": forecast["origin"], "stored_new": stored,
            "prices": (forecast["prices"] or [])[:steps], "central": forecast["central"][:steps]}


@functools.lru_cache(maxsize=4)
def _forecaster(database_url: str, version_id: int) -> Any:
    """Versions never change once stored, so a loaded one is reused (per worker process)."""
    from ml.forecast import registry

    return registry.load_forecaster(engine(), version_id)


# --- data, drift, retraining --------------------------------------------------------------

@job_task("refresh_data")
def refresh_data(task: JobTask, symbols: list[str], interval: str) -> dict[str, Any]:
    """Bring each symbol's cache up to date; bad symbols are reported, not retried."""
    from workers.training_job import load_bars_for_job

    if isinstance(symbols, str) or not symbols:
        raise JobFailed(f"symbols must be a non-empty list, got {symbols!r}")
    done: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for position, symbol in enumerate(symbols):
        task.progress({"phase": f"refreshing {symbol}", "done": position,
                       "total": len(symbols)})
        try:
            loaded = load_bars_for_job(symbol, interval)
        except JobFailed as error:
            failed[symbol] = str(error)
            continue
        done[symbol] = {"rows": len(loaded.bars), "last": loaded.bars.index[-1].isoformat(),
                        "cache_age_s": loaded.meta.cache_age_s, "notes": loaded.meta.notes}
    if failed and not done:
        raise JobFailed("; ".join(f"{s}: {m}" for s, m in failed.items()))
    return {"interval": interval, "refreshed": done, "failed": failed}


@job_task("update_drift")
def update_drift(task: JobTask, symbol: str, interval: str) -> dict[str, Any]:
    """Score the active model's stored forecasts on new bars; a new flag queues a retrain."""
    from ml.forecast import DriftConfig, registry
    from workers.drift_job import score_new_bars
    from workers.policy import job_policy
    from workers.training_job import load_bars_for_job

    try:
        version = registry.active_version(engine(), symbol, interval)
    except registry.RegistryError as error:
        raise JobFailed(str(error)) from error
    policy = job_policy()
    config = DriftConfig(delta=policy.drift_delta, threshold=policy.drift_threshold,
                         coverage_window=policy.drift_coverage_window,
                         coverage_alpha=policy.drift_coverage_alpha)
    bars = load_bars_for_job(symbol, interval, refresh=False).bars
    summary = score_new_bars(engine(), symbol, interval, version, bars, config)
    if summary.get("newly_flagged"):
        summary["retrain_job"] = _queue("train_model", {
            "symbol": symbol, "interval": interval, "config": version.config}, "drift")
    return summary


@job_task("retrain_stale")
def retrain_stale(task: JobTask) -> dict[str, Any]:
    """Queue a retrain of every active model older than the policy's age or flagged by drift."""
    from ml.forecast import registry
    from workers.drift_job import flagged_pairs
    from workers.policy import job_policy

    max_age_s = job_policy().model_max_age_days * 86400
    flagged = {(s, i): v for s, i, v in flagged_pairs(engine())}
    now = datetime.now(UTC)
    queued = []
    for version in registry.list_versions(engine()):
        if not version.active:
            continue
        age_s = (now - version.created_at).total_seconds()
        drifted = flagged.get((version.symbol, version.interval)) == version.id
        if age_s < max_age_s and not drifted:
            continue
        reason = "drift" if drifted else f"older than {job_policy().model_max_age_days:g} days"
        job_id = _queue("train_model", {"symbol": version.symbol, "interval": version.interval,
                                        "config": version.config}, "retrain_stale")
        queued.append({"symbol": version.symbol, "interval": version.interval,
                       "version_id": version.id, "reason": reason, "job_id": job_id})
    return {"queued": queued}


@job_task("refresh_watched")
def refresh_watched(task: JobTask) -> dict[str, Any]:
    """Refresh watched pairs; where a new bar closed, queue a forecast and a drift update."""
    from ml.forecast import latest_forecast
    from workers.training_job import load_bars_for_job
    from workers.watchlist import watched_pairs

    report: dict[str, Any] = {}
    for symbol, interval, has_model in watched_pairs(engine()):
        try:
            bars = load_bars_for_job(symbol, interval).bars
        except JobFailed as error:
            report[f"{symbol} {interval}"] = {"error": str(error)}
            continue
        entry: dict[str, Any] = {"last": bars.index[-1].isoformat()}
        if has_model:
            stored = latest_forecast(engine(), symbol, interval, redis_client())
            last_ts = int(bars.index[-1].timestamp())
            if stored is None or int(stored["last_bar_ts"]) < last_ts:
                args = {"symbol": symbol, "interval": interval}
                entry["predict_job"] = _queue("predict", args, "beat")
                entry["drift_job"] = _queue("update_drift", args, "beat")
        report[f"{symbol} {interval}"] = entry
    return {"pairs": report}


@job_task("prune_jobs")
def prune_jobs(task: JobTask) -> dict[str, Any]:
    """Delete finished job rows older than the policy's retention."""
    from workers import jobs as job_rows
    from workers.policy import job_policy

    days = job_policy().job_retention_days
    return {"deleted": job_rows.prune_finished(engine(), days), "older_than_days": days}


@job_task("check_alerts")
def check_alerts(task: JobTask) -> dict[str, Any]:
    """Beat's alert tick: evaluate every rule on the bars that closed since the last one."""
    from workers.alert_tasks import run_checks

    result: dict[str, Any] = run_checks(engine())
    return result


# --- helpers ------------------------------------------------------------------------------

def _queue(name: str, kwargs: dict[str, Any], requested_by: str) -> str:
    """Send a follow-up job through the same path as the web (row, lock, fail fast)."""
    from workers.connections import lock_ttl_s
    from workers.submit import submit_job

    submitted = submit_job(app, engine(), redis_client(), name, kwargs, requested_by,
                           lock_ttl_s=lock_ttl_s())
    return submitted.job_id
