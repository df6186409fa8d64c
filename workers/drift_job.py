"""Score stored forecasts against the bars that arrived since, and keep the drift state.

For each stored forecast of the active model whose next bar now exists: the one-bar absolute
log-return error and whether the close fell inside the 80% band feed ``ml.forecast.drift``. The
state is saved per (symbol, interval) and reset when the active model changes. A newly raised flag
is returned so the task can queue a retrain.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select, update

from ml.db import write_transaction
from ml.db.schema import model_drift
from ml.forecast import drift, forecast_history

logger = logging.getLogger(__name__)

BAND_LEVEL = "0.8"


def reference_error(metrics: dict[str, Any]) -> float | None:
    """The active version's out-of-sample one-bar absolute error (log-return units)."""
    stored = (metrics.get("drift_reference") or {}).get("abs_error_h1")
    if stored:
        return float(stored)
    h1 = ((metrics.get("horizons") or {}).get("1") or {}).get("model") or {}
    rmse = h1.get("return_rmse")
    # For normal errors the mean absolute error is RMSE * sqrt(2 / pi).
    return float(rmse) * math.sqrt(2 / math.pi) if rmse else None


def score_new_bars(engine: Engine, symbol: str, interval: str, version: Any, bars: Any,
                   config: drift.DriftConfig) -> dict[str, Any]:
    """Feed every newly scorable forecast to the detector; returns the saved summary."""
    reference = reference_error(version.metrics)
    if version.target != "returns" or not reference:
        return {"scored": 0, "flagged": False,
                "note": "drift is tracked for return models with a reference error only"}
    row = _load(engine, symbol, interval)
    if row is None or row["model_version_id"] != version.id:
        state, last_ts = drift.new_state(reference, coverage_level=float(BAND_LEVEL)), None
        was_flagged = False
    else:
        state = drift.DriftState.from_dict(json.loads(row["state_json"]))
        last_ts, was_flagged = row["last_scored_ts"], bool(row["flagged"])
    stamps = np.asarray(bars.index.as_unit("s").asi8, dtype=np.int64)
    close = bars["close"].to_numpy(dtype=np.float64)
    scored = 0
    for forecast in forecast_history(engine, symbol, interval, after_ts=last_ts,
                                     model_version_id=version.id, limit=10_000,
                                     oldest_first=True):
        origin = int(forecast["last_bar_ts"])
        position = int(np.searchsorted(stamps, origin))
        if position + 1 >= len(stamps) or stamps[position] != origin:
            break  # its next bar has not closed yet
        realised = math.log(close[position + 1] / close[position])
        error = abs(realised - float(forecast["central"][0]))
        band = (forecast.get("bands") or {}).get(BAND_LEVEL)
        inside = None
        if band:
            inside = band["lower"][0] <= close[position + 1] <= band["upper"][0]
        drift.update(state, error, inside, config)
        last_ts, scored = origin, scored + 1
    _save(engine, symbol, interval, version.id, state, last_ts)
    return {"scored": scored, "bars_tracked": state.bars, "flagged": state.flagged,
            "newly_flagged": state.flagged and not was_flagged, "reason": state.reason,
            "statistic": round(state.statistic, 3),
            "mean_error_vs_reference": round(state.mean_scaled_error, 3)}


def flagged_pairs(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(select(model_drift.c.symbol, model_drift.c.interval,
                                         model_drift.c.model_version_id)
                                  .where(model_drift.c.flagged.is_(True))).all()
    return [(r.symbol, r.interval, int(r.model_version_id)) for r in rows]


def _load(engine: Engine, symbol: str, interval: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(select(model_drift).where(
            model_drift.c.symbol == symbol, model_drift.c.interval == interval)).mappings()
        found = row.first()
    return None if found is None else dict(found)


def _save(engine: Engine, symbol: str, interval: str, version_id: int,
          state: drift.DriftState, last_ts: int | None) -> None:
    now = datetime.now(UTC)
    values = {"model_version_id": version_id, "state_json": json.dumps(state.to_dict()),
              "last_scored_ts": last_ts, "flagged": state.flagged, "reason": state.reason or None,
              "flagged_at": now if state.flagged else None, "updated_at": now}
    with write_transaction(engine) as connection:
        existing = connection.execute(select(model_drift.c.flagged_at).where(
            model_drift.c.symbol == symbol, model_drift.c.interval == interval)).first()
        if existing is None:
            connection.execute(insert(model_drift).values(symbol=symbol, interval=interval,
                                                          **values))
            return
        if state.flagged and existing.flagged_at is not None:
            values["flagged_at"] = existing.flagged_at  # keep when it was first raised
        connection.execute(update(model_drift).where(
            model_drift.c.symbol == symbol, model_drift.c.interval == interval).values(**values))
