"""The body of ``train_model``: data, training with progress, evaluation, registration.

Exactly one registry version per job: the version id is written to the job row right after
registration, and a redelivered job that finds it there finishes without training again. A
job that dies before registering leaves nothing in the registry (registration is one
transaction), so the redelivery trains from scratch.
"""

from __future__ import annotations

import logging
from typing import Any

from ml.json_values import json_safe
from workers import jobs as job_rows, locks
from workers.connections import engine, lock_ttl_s, redis_client
from workers.runtime import JobFailed, TransientJobError

logger = logging.getLogger(__name__)


def load_bars_for_job(symbol: str, interval: str, *, refresh: bool = True) -> Any:
    """``ml.data.load_bars`` with its errors sorted into retryable and not."""
    from ml.data import load_bars
    from ml.data.errors import DataError, NetworkError, RateLimitedError

    try:
        return load_bars(symbol, interval, engine=engine(), refresh=refresh)
    except (NetworkError, RateLimitedError) as error:
        raise TransientJobError(str(error)) from error
    except DataError as error:
        raise JobFailed(str(error)) from error


def train(task: Any, symbol: str, interval: str, config: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    from ml.forecast import ModelConfig

    job_id = task.request.id
    row = job_rows.get_job(engine(), job_id) or {}
    done = (row.get("progress") or {}).get("version_id")
    if done is not None:
        return _already_registered(int(done))
    running = _confirm_lock(job_id, symbol, interval)
    if running is not None:
        return {"skipped": True, "running_job": running,
                "reason": f"a training of {symbol} {interval} is already running"}
    try:
        model_config = ModelConfig.from_dict(config or {})
    except (TypeError, ValueError) as error:
        raise JobFailed(f"bad model config: {error}") from error
    task.progress({"phase": "loading data", "epoch": 0, "epochs": model_config.epochs})
    loaded = load_bars_for_job(symbol, interval)
    task.check_cancelled()
    result = _fit(task, loaded.bars, model_config, symbol, interval)
    task.progress({"phase": "evaluating", "epoch": result.history.epochs_run,
                   "epochs": model_config.epochs, "history": loss_history(result.history)})
    return _evaluate_and_register(task, symbol, interval, loaded, result)


MAX_HISTORY_POINTS = 500


def loss_history(history: Any) -> list[list[float | None]]:
    """``[[epoch, loss, val_loss], ...]`` from a fit's history, for progress reports."""
    val_losses = list(history.val_loss) + [None] * len(history.loss)
    return [[float(epoch), json_safe(loss), json_safe(val_losses[epoch - 1])]
            for epoch, loss in enumerate(history.loss, start=1)][-MAX_HISTORY_POINTS:]


def _fit(task: Any, bars: Any, model_config: Any, symbol: str, interval: str) -> Any:
    from ml.forecast import fit_forecaster

    client, key = redis_client(), locks.training_lock_key(symbol, interval)
    # Every epoch so far rides along with each report: a page that polls less often than
    # epochs end still draws the whole loss curve.
    history: list[list[float | None]] = []

    def on_progress(info: dict[str, Any]) -> None:
        if info.get("loss") is not None and info.get("epoch") is not None:
            history.append([json_safe(info["epoch"]), json_safe(info["loss"]),
                            json_safe(info.get("val_loss"))])
        task.progress({**{name: json_safe(value) for name, value in info.items()},
                       "history": history[-MAX_HISTORY_POINTS:]})
        if client is not None:
            _keep_lock(client, key, task.request.id)

    try:
        return fit_forecaster(bars, model_config, on_progress=on_progress,
                              should_stop=task.should_stop)
    except ValueError as error:  # too little history and the like
        raise JobFailed(str(error)) from error


def _evaluate_and_register(task: Any, symbol: str, interval: str, loaded: Any,
                           result: Any) -> dict[str, Any]:
    from ml.forecast import evaluate, predict_split, registry
    from workers.promotion import decide

    metrics = evaluate(result)
    oos = predict_split(result, "test")
    if result.forecaster.config.target == "returns":
        # The drift detector compares live one-bar errors with this out-of-sample level.
        metrics["drift_reference"] = {"abs_error_h1": float(
            abs(oos.y[:, 0] - oos.yhat[:, 0]).mean())}
    try:
        active = registry.active_version(engine(), symbol, interval,
                                         result.forecaster.config.target)
        active_forecaster = registry.load_forecaster(engine(), active.id)
    except registry.RegistryError:
        active, active_forecaster = None, None
    decision = decide(result, loaded.bars, metrics, active, active_forecaster)
    metrics["promotion"] = {"promoted": decision.promote, "reason": decision.reason,
                            **decision.detail}
    task.check_cancelled()  # the last safe point: after this the version exists
    info = registry.register(engine(), result.forecaster, symbol=symbol, interval=interval,
                             bars=loaded.bars, metrics=metrics, promote=decision.promote)
    job_rows.record_progress(engine(), task.request.id, {
        "phase": "registered", "version_id": info.id, "epoch": result.history.epochs_run,
        "epochs": result.forecaster.config.epochs, "history": loss_history(result.history)})
    logger.info("job %s registered %s %s v%d (%s)", task.request.id, symbol, interval,
                info.version, decision.reason)
    return {"version_id": info.id, "version": info.version, "promoted": info.active,
            "reason": decision.reason, "summary": metrics.get("summary"),
            "epochs_run": result.history.epochs_run, "seconds": round(result.seconds, 2),
            "data": {"rows": len(loaded.bars), "first": loaded.bars.index[0].isoformat(),
                     "last": loaded.bars.index[-1].isoformat()}}


def _already_registered(version_id: int) -> dict[str, Any]:
    from ml.forecast import registry

    info = registry.get_version(engine(), version_id)
    promotion = info.metrics.get("promotion") or {}
    return {"version_id": info.id, "version": info.version, "promoted": info.active,
            "reason": promotion.get("reason", ""), "summary": info.metrics.get("summary"),
            "redelivered": True}


def _confirm_lock(job_id: str, symbol: str, interval: str) -> str | None:
    """None when this job holds the training lock, else the id of the job that does."""
    client = redis_client()
    if client is None:
        return None
    key = locks.training_lock_key(symbol, interval)
    return locks.take_unless_running(client, key, job_id, lock_ttl_s(),
                                     lambda holder: job_rows.is_finished(engine(), holder))


def _keep_lock(client: Any, key: str, job_id: str) -> None:
    """Still alive: extend the lock, or take it again if Redis lost it (a restart)."""
    try:
        if not locks.refresh(client, key, job_id, lock_ttl_s()):
            holder = locks.acquire(client, key, job_id, lock_ttl_s())
            if holder != job_id:
                logger.warning("job %s: training lock %s is held by %s", job_id, key, holder)
    except Exception as error:  # noqa: BLE001 - Redis down: training goes on, lock expires
        logger.warning("job %s: could not keep lock %s: %s", job_id, key, error)
