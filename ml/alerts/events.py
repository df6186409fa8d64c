"""Live events over Redis pub/sub: channel names and the one way to publish.

Workers publish when a bar closes, a forecast is stored or an alert fires; the web process's
``GET /api/v1/stream`` relays them to clients as server-sent events. Publishing is best
effort (a live feed, not a record: the database keeps the record), so a Redis failure is
logged, never raised into the task that publishes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "foresight:events:"
BARS = "bars"
FORECASTS = "forecasts"
ALERTS = "alerts"
KINDS: tuple[str, ...] = (BARS, FORECASTS, ALERTS)


def channel(kind: str, user_id: int | None = None) -> str:
    """``foresight:events:bars``, ``...:forecasts``; alerts are per owner: ``...:alerts:7``."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == ALERTS:
        if user_id is None:
            raise ValueError("alert events need the owner's user_id")
        return f"{CHANNEL_PREFIX}{ALERTS}:{int(user_id)}"
    return f"{CHANNEL_PREFIX}{kind}"


def publish(redis_client: Any, kind: str, payload: dict[str, Any],
            user_id: int | None = None) -> bool:
    """Publish ``payload`` (JSON-able, with a ``symbol`` key for bars and forecasts).

    Returns False (and logs) when there is no Redis or it fails.
    """
    name = channel(kind, user_id)
    if redis_client is None:
        return False
    try:
        redis_client.publish(name, json.dumps(payload, separators=(",", ":"), default=str))
    except Exception as error:  # noqa: BLE001 - redis raises several types; the feed is optional
        logger.warning("publishing to %s failed: %s", name, error)
        return False
    return True
