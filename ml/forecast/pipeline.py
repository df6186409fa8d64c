"""What the CLI and the Celery tasks call: train + evaluate + register, backtest, predict.

Everything that can be wrong with a request (unknown symbol, too little history, bad
hyperparameters) fails before the registry is written: registration is the last step and
happens in one transaction.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ml.forecast.models.base import ProgressCallback, StopCallback
from ml.forecast.models.config import ModelConfig
from ml.json_values import json_safe

logger = logging.getLogger(__name__)

__all__ = ["backtest_model", "default_engine", "predict_active", "train_model"]


def default_engine(engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    from ml.db import open_database
    from ml.settings import CoreSettings, load_settings

    return open_database(load_settings(CoreSettings).resolved_database_url())


def _load(symbol: str, interval: str, engine: Engine) -> Any:
    from ml.data import load_bars

    return load_bars(symbol, interval, engine=engine)


def train_model(symbol: str, interval: str, config: ModelConfig, *,
                engine: Engine | None = None, promote: bool = True,
                on_progress: ProgressCallback | None = None,
                should_stop: StopCallback | None = None) -> dict[str, Any]:
    """Train on all cached bars, evaluate on the held-out test split, register a version."""
    from ml.forecast.evaluation import evaluate
    from ml.forecast.registry import register
    from ml.forecast.training import fit_forecaster

    engine = default_engine(engine)
    loaded = _load(symbol, interval, engine)
    result = fit_forecaster(loaded.bars, config, on_progress=on_progress,
                            should_stop=should_stop)
    metrics = json_safe({
        **evaluate(result),
        "splits": result.dataset.describe(),
        "training": {**result.history.to_dict(), "total_seconds": round(result.seconds, 3)},
        "conformal": result.forecaster.conformal.to_state(),
    })
    info = register(engine, result.forecaster, symbol=loaded.meta.symbol, interval=interval,
                    bars=loaded.bars, metrics=metrics, promote=promote)
    return json_safe({"symbol": loaded.meta.symbol, "interval": interval,
                      "version": info.to_dict(), "config": config.to_dict(),
                      "data": _data_summary(loaded), **metrics})


def backtest_model(symbol: str, interval: str, config: ModelConfig, *, folds: int = 5,
                   mode: str = "expanding", engine: Engine | None = None,
                   on_progress: ProgressCallback | None = None,
                   should_stop: StopCallback | None = None) -> dict[str, Any]:
    """Walk-forward report (nothing is registered)."""
    from ml.forecast.evaluation import walk_forward

    engine = default_engine(engine)
    loaded = _load(symbol, interval, engine)
    report = walk_forward(loaded.bars, config, folds=folds, mode=mode,
                          on_progress=on_progress, should_stop=should_stop)
    return json_safe({"symbol": loaded.meta.symbol, "interval": interval,
                      "config": config.to_dict(), "data": _data_summary(loaded), **report})


def predict_active(symbol: str, interval: str, *, engine: Engine | None = None,
                   target: str = "returns", horizon: int | None = None) -> dict[str, Any]:
    """The active model's forecast from the latest bars, with its bands and provenance."""
    from ml.forecast.registry import load_active

    engine = default_engine(engine)
    info, forecaster = load_active(engine, symbol, interval, target)
    if horizon is not None and not 1 <= horizon <= forecaster.config.horizon:
        raise ValueError(f"horizon must be between 1 and {forecaster.config.horizon} (the "
                         f"active model's horizon), got {horizon}")
    loaded = _load(symbol, interval, engine)
    forecast = forecaster.forecast(loaded.bars).to_dict()
    if horizon is not None:
        forecast = _truncate(forecast, horizon)
    last = loaded.bars.index[-1]
    return json_safe({
        "symbol": info.symbol, "interval": interval, "model": {
            "id": info.id, "version": info.version, "kind": info.kind,
            "created_at": info.created_at.isoformat(), "code_version": info.code_version,
            "verdict": (info.metrics.get("summary") or {}).get("verdict")},
        "data_last": last.isoformat(),
        "data_age_s": round((datetime.now(UTC) - last.to_pydatetime()).total_seconds(), 1),
        "cache_age_s": loaded.meta.cache_age_s,
        "forecast": forecast})


def _truncate(forecast: dict[str, Any], horizon: int) -> dict[str, Any]:
    out = dict(forecast)
    for key in ("horizons", "central", "prices"):
        if out.get(key) is not None:
            out[key] = out[key][:horizon]
    out["bands"] = {level: {side: values[:horizon] for side, values in band.items()}
                    for level, band in forecast["bands"].items()}
    return out


def _data_summary(loaded: Any) -> dict[str, Any]:
    from ml.forecast.registry import data_hash

    bars = loaded.bars
    return {"rows": len(bars), "first": bars.index[0].isoformat(),
            "last": bars.index[-1].isoformat(), "hash": data_hash(bars),
            "source": loaded.meta.source}
