"""Forecast routes: ``/predict/{symbol}`` (stored forecasts only) and ``/models``.

``/predict`` never runs a model: it reads the forecast a worker stored (Redis, else the
database). With none stored it queues ``workers.tasks.predict`` and answers 202 with the job
id; repeated requests in the meantime reuse that job (a short Redis key per pair), so a
crowd of clients asking for an unwatched symbol queues one job, not thousands.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response

from ml.json_values import json_safe
from webapp import services
from webapp.api import params
from webapp.api.caller import current_user
from webapp.api.errors import ApiError, invalid
from webapp.api.market import canonical_symbol, json_response
from webapp.api.ttl_cache import cached

logger = logging.getLogger(__name__)

MAX_HORIZON = 365
PENDING_PREFIX = "foresight:predict:pending:"
PENDING_TTL_S = 120
SKILL_TTL_S = 30.0
FORECAST_TTL_S = 1.0


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/predict/<path:symbol>", "predict", predict, methods=["GET"])
    blueprint.add_url_rule("/models", "models", models, methods=["GET"])


def _age_s(payload: dict[str, Any]) -> float | None:
    last = payload.get("last_bar_ts")
    if not isinstance(last, int | float):
        return None
    return round(max(0.0, time.time() - float(last)), 1)


def _trim(payload: dict[str, Any], horizon: int | None) -> dict[str, Any]:
    """Keep the first ``horizon`` steps of every per-horizon list."""
    horizons = payload.get("horizons") or []
    if horizon is None or horizon >= len(horizons):
        return payload
    out = dict(payload)
    for key in ("horizons", "central", "prices"):
        if isinstance(out.get(key), list):
            out[key] = out[key][:horizon]
    bands = out.get("bands")
    if isinstance(bands, dict):
        out["bands"] = {level: {side: values[:horizon] for side, values in band.items()}
                        for level, band in bands.items() if isinstance(band, dict)}
    return out


def _skill(version_id: object) -> dict[str, Any] | None:
    """The model's version and skill summary. A version's metrics never change, and reading
    them (a large JSON document) on every request would cost more than the rest of it."""
    if not isinstance(version_id, int):
        return None
    return cached("skill", version_id, SKILL_TTL_S, lambda: _read_skill(version_id))


def _read_skill(version_id: int) -> dict[str, Any] | None:
    from ml.forecast import RegistryError, get_version

    try:
        info = get_version(services.database(), version_id)
    except RegistryError:
        return None
    return {"version_id": info.id, "version": info.version, "kind": info.kind,
            "target": info.target, "trained_at": json_safe(info.created_at),
            "summary": json_safe(info.metrics.get("summary"))}


def predict(symbol: str) -> Response:
    from ml.forecast import latest_forecast

    params.allowed_query(["interval", "horizon"])
    key = canonical_symbol(symbol)
    interval = params.interval()
    horizon = params.integer("horizon", None, 1, MAX_HORIZON)
    # Forecasts change when a bar closes (minutes at the least): a second of reuse per
    # process saves a Redis round trip on nearly every request under load.
    stored = cached("forecast", (key, interval), FORECAST_TTL_S,
                    lambda: latest_forecast(services.database(), key, interval,
                                            services.redis_client()),
                    keep=lambda found: found is not None)
    if stored is None:
        return _queue_prediction(key, interval)
    available = len(stored.get("horizons") or [])
    if horizon is not None and horizon > available:
        raise invalid("horizon", f"the stored forecast covers {available} steps; ask for "
                      f"1-{available}")
    payload = _trim(stored, horizon)
    payload = {**payload, "status": "ready", "data_age_s": _age_s(stored),
               "model": _skill(stored.get("model_version_id"))}
    return json_response(payload)


def _queue_prediction(symbol: str, interval: str) -> Response:
    from ml.forecast import RegistryError, active_version

    try:
        active_version(services.database(), symbol, interval)
    except RegistryError:
        raise ApiError(404, f"no trained model for {symbol} at {interval}: an admin can train "
                       "one on the settings page or with POST /api/v1/jobs/train") from None
    job_id = _pending_job(symbol, interval)
    payload = {"status": "computing", "symbol": symbol, "interval": interval,
               "job_id": job_id, "retry_after_s": 5,
               "message": "no stored forecast yet: it is being computed; ask again shortly"}
    response = json_response(payload, status=202)
    response.headers["Retry-After"] = "5"
    return response


def _pending_job(symbol: str, interval: str) -> str | None:
    """The id of the queued prediction for this pair, queueing one when there is none."""
    from webapp import jobs

    client = services.redis_client()
    key = f"{PENDING_PREFIX}{symbol}:{interval}"
    if client is not None:
        try:
            existing = client.get(key)
        except Exception as error:  # noqa: BLE001 - Redis trouble: fall through to queueing
            logger.warning("pending-forecast lookup failed: %s", error)
            existing = None
        if existing:
            return existing.decode() if isinstance(existing, bytes) else str(existing)

    try:
        job_id = jobs.submit("predict", {"symbol": symbol, "interval": interval},
                             requested_by=current_user().username)
    except jobs.JobsUnavailable as error:
        raise ApiError(503, str(error), headers={"Retry-After": "30"}) from None
    if client is not None:
        try:
            client.set(key, job_id, nx=True, ex=PENDING_TTL_S)
        except Exception as error:  # noqa: BLE001 - only the de-duplication is lost
            logger.warning("pending-forecast mark failed: %s", error)
    return job_id


def models() -> Response:
    from ml.forecast import list_versions

    params.allowed_query(["symbol", "interval", "metrics"])
    symbol_text = params.request.args.get("symbol")
    if symbol_text is not None and not symbol_text.strip():
        raise invalid("symbol", "must not be empty; leave it out to list every symbol")
    symbol = canonical_symbol(symbol_text) if symbol_text else None
    interval = params.interval(default="") if "interval" in params.request.args else None
    metrics = params.request.args.get("metrics", "false").lower()
    if metrics not in {"true", "false", "1", "0"}:
        raise invalid("metrics", f"must be true or false; got {metrics[:20]!r}")
    with_metrics = metrics in {"true", "1"}
    versions = list_versions(services.database(), symbol, interval)
    items = [json_safe(v.to_dict(with_metrics=with_metrics)) for v in versions[:500]]
    return json_response({"models": items, "count": len(items)})
