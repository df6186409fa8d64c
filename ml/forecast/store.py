"""Stored forecasts: the latest per (symbol, interval) in Redis, the history in the database.

Workers compute forecasts (``workers.tasks.predict``); pages and the API read them here, so a
forecast request is a cache read and the web process never loads Keras. The history is what
the live track record and drift detection score. One row per model version and origin bar:
storing the same forecast twice (a redelivered task) changes nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select

from ml.db import write_transaction
from ml.db.schema import forecasts

logger = logging.getLogger(__name__)

LATEST_PREFIX = "foresight:forecast:latest:"


def latest_key(symbol: str, interval: str) -> str:
    return f"{LATEST_PREFIX}{symbol}:{interval}"


def to_epoch_seconds(timestamp: Any) -> int:
    value = pd.Timestamp(timestamp)
    if value.tzinfo is None:
        raise ValueError(f"timestamp must be timezone-aware, got {timestamp!r}")
    return int(value.tz_convert("UTC").timestamp())


def build_payload(symbol: str, interval: str, model_version_id: int,
                  forecast: dict[str, Any], made_at: datetime | None = None) -> dict[str, Any]:
    """What is stored and served: the forecaster's dict plus who made it and when."""
    made_at = made_at or datetime.now(UTC)
    return {**forecast, "symbol": symbol, "interval": interval,
            "model_version_id": int(model_version_id), "made_at": made_at.isoformat(),
            "last_bar_ts": to_epoch_seconds(forecast["origin"])}


def save_forecast(engine: Engine, payload: dict[str, Any], redis_client: Any = None) -> bool:
    """Store ``payload`` (from :func:`build_payload`); True when it was new in the database.

    Redis gets it as the latest unless Redis already holds a forecast from a later bar.
    """
    key = (payload["symbol"], payload["interval"], int(payload["model_version_id"]),
           int(payload["last_bar_ts"]))
    with write_transaction(engine) as connection:
        exists = connection.execute(select(forecasts.c.id).where(
            forecasts.c.symbol == key[0], forecasts.c.interval == key[1],
            forecasts.c.model_version_id == key[2], forecasts.c.last_bar_ts == key[3])).first()
        if exists is None:
            connection.execute(insert(forecasts).values(
                symbol=key[0], interval=key[1], model_version_id=key[2], last_bar_ts=key[3],
                horizon=len(payload.get("horizons") or []),
                made_at=datetime.fromisoformat(payload["made_at"]),
                payload_json=json.dumps(payload, separators=(",", ":"))))
    if redis_client is not None:
        _publish_latest(redis_client, payload)
    return exists is None


def _publish_latest(redis_client: Any, payload: dict[str, Any]) -> None:
    key = latest_key(payload["symbol"], payload["interval"])
    current = _decode(redis_client.get(key))
    if current is not None and current.get("model_version_id") == payload["model_version_id"] \
            and int(current.get("last_bar_ts", 0)) > int(payload["last_bar_ts"]):
        return
    redis_client.set(key, json.dumps(payload, separators=(",", ":")))


def latest_forecast(engine: Engine, symbol: str, interval: str,
                    redis_client: Any = None) -> dict[str, Any] | None:
    """The newest stored forecast: from Redis when it has one, else from the database."""
    if redis_client is not None:
        try:
            cached = _decode(redis_client.get(latest_key(symbol, interval)))
        except Exception as error:  # noqa: BLE001 - Redis down: the database still answers
            logger.warning("latest forecast from Redis failed: %s", error)
            cached = None
        if cached is not None:
            return cached
    history = forecast_history(engine, symbol, interval, limit=1)
    return history[0] if history else None


def forecast_history(engine: Engine, symbol: str, interval: str, *, limit: int = 100,
                     after_ts: int | None = None, model_version_id: int | None = None,
                     oldest_first: bool = False) -> list[dict[str, Any]]:
    """Stored forecasts, newest origin first (or oldest first), after ``after_ts`` if given."""
    query = select(forecasts.c.payload_json).where(forecasts.c.symbol == symbol,
                                                   forecasts.c.interval == interval)
    if model_version_id is not None:
        query = query.where(forecasts.c.model_version_id == model_version_id)
    if after_ts is not None:
        query = query.where(forecasts.c.last_bar_ts > after_ts)
    if oldest_first:
        query = query.order_by(forecasts.c.last_bar_ts.asc(), forecasts.c.id.asc())
    else:
        query = query.order_by(forecasts.c.last_bar_ts.desc(), forecasts.c.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).scalars().all()
    return [json.loads(row) for row in rows]


def _decode(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
