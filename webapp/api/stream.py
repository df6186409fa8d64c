"""``GET /api/v1/stream``: server-sent events of new bars, forecasts and the caller's alerts.

Two sources feed one stream:

* Redis pub/sub (``ml.alerts.events`` channels): instant, for whatever a worker publishes (alert
  events today).
* A poll of the database every ``POLL_S`` seconds: new rows in ``forecasts``, advances of
  ``fetch_state.last_complete_ts`` (a bar closed and was stored), and, without Redis, the
  caller's new ``alert_events``. The database is the record, so nothing a worker stored is
  missed even when it published nothing, and the stream works in fallback mode too (it
  says so in its ``ready`` event: no pub/sub, polled delivery).

Events are ``bar``, ``forecast`` and ``alert`` (``symbols`` filters the first two; alerts are
only ever the authenticated caller's: the channel and the query come from the token, never
from the request). Duplicates across the two sources are dropped. A comment line every
``HEARTBEAT_S`` keeps proxies from closing the connection; a stream ends after ``max_s``
with ``event: end`` and clients reconnect (``retry:``). Each open stream holds a web thread,
so a process serves at most ``MAX_STREAMS`` at once and answers 503 beyond that.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, stream_with_context
from sqlalchemy import Engine, func, select

from ml.alerts import events
from ml.db.schema import fetch_state, forecasts
from webapp import services
from webapp.api import params
from webapp.api.caller import current_user
from webapp.api.errors import ApiError, invalid

logger = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
POLL_S = 2.0
MAX_STREAMS = 2
DEFAULT_MAX_S = 300
SEEN_MAX = 10_000
EVENT_NAMES = {events.BARS: "bar", events.FORECASTS: "forecast", events.ALERTS: "alert"}


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/stream", "stream", stream, methods=["GET"])


def _slots() -> threading.BoundedSemaphore:
    """Per-app limit on open streams (kept on the app, not in a module global)."""
    slots = current_app.extensions.get("foresight_stream_slots")
    if slots is None:
        slots = current_app.extensions.setdefault("foresight_stream_slots",
                                                  threading.BoundedSemaphore(MAX_STREAMS))
    return slots  # type: ignore[no-any-return]


def _kinds() -> list[str]:
    text = params.request.args.get("events", ",".join(events.KINDS))
    kinds = list(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in events.KINDS]
    if unknown or not kinds:
        raise invalid("events", f"must be a comma-separated subset of "
                      f"{', '.join(events.KINDS)}; got {text[:60]!r}")
    return kinds


def _symbols() -> set[str] | None:
    from webapp.api.market import canonical_symbol

    text = params.request.args.get("symbols")
    if text is None:
        return None
    found = {canonical_symbol(s) for s in text.split(",")[:100] if s.strip()}
    if not found:
        raise invalid("symbols", "give one or more symbols, comma separated")
    return found


# --- the database poll ------------------------------------------------------------------------

@dataclass
class Poller:
    """What the database says is new since the stream opened."""

    engine: Engine
    kinds: list[str]
    user_id: int
    poll_alerts: bool
    forecast_id: int = 0
    bars: dict[tuple[str, str], int] = field(default_factory=dict)
    alert_id: int = 0

    def start(self) -> Poller:
        with self.engine.connect() as connection:
            self.forecast_id = int(connection.execute(
                select(func.coalesce(func.max(forecasts.c.id), 0))).scalar_one())
            self.bars = self._bar_state(connection)
        if self.poll_alerts:
            from ml.alerts import list_events

            newest = list_events(self.engine, self.user_id, limit=1)
            self.alert_id = int(newest[0]["id"]) if newest else 0
        return self

    @staticmethod
    def _bar_state(connection: Any) -> dict[tuple[str, str], int]:
        rows = connection.execute(select(fetch_state.c.symbol, fetch_state.c.interval,
                                         fetch_state.c.last_complete_ts))
        return {(r.symbol, r.interval): int(r.last_complete_ts or 0) for r in rows}

    def poll(self) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = []
        with self.engine.connect() as connection:
            if events.FORECASTS in self.kinds:
                found += self._forecasts(connection)
            if events.BARS in self.kinds:
                found += self._new_bars(connection)
        if self.poll_alerts and events.ALERTS in self.kinds:
            from ml.alerts import list_events

            for event in list_events(self.engine, self.user_id, after_id=self.alert_id,
                                     limit=100):
                self.alert_id = max(self.alert_id, int(event["id"]))
                found.append((events.ALERTS, event))
        return found

    def _forecasts(self, connection: Any) -> list[tuple[str, dict[str, Any]]]:
        rows = connection.execute(select(
            forecasts.c.id, forecasts.c.symbol, forecasts.c.interval,
            forecasts.c.model_version_id, forecasts.c.last_bar_ts, forecasts.c.made_at)
            .where(forecasts.c.id > self.forecast_id).order_by(forecasts.c.id).limit(100))
        out = []
        for row in rows:
            self.forecast_id = max(self.forecast_id, int(row.id))
            out.append((events.FORECASTS, {
                "symbol": row.symbol, "interval": row.interval,
                "model_version_id": row.model_version_id, "last_bar_ts": row.last_bar_ts,
                "made_at": str(row.made_at)}))
        return out

    def _new_bars(self, connection: Any) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for pair, newest in self._bar_state(connection).items():
            if newest > self.bars.get(pair, 0):
                out.append((events.BARS, {"symbol": pair[0], "interval": pair[1],
                                          "last_bar_ts": newest}))
            self.bars[pair] = max(newest, self.bars.get(pair, 0))
        return out


# --- the stream -------------------------------------------------------------------------------

def stream() -> Response:

    params.allowed_query(["events", "symbols", "max_s"])
    kinds = _kinds()
    symbols = _symbols()
    max_s = params.integer("max_s", DEFAULT_MAX_S, 1, 3600) or DEFAULT_MAX_S
    user = current_user()
    client = services.redis_client()
    slots = _slots()
    if not slots.acquire(blocking=False):
        raise ApiError(503, f"this server process already serves {MAX_STREAMS} live streams; "
                       "try again shortly", headers={"Retry-After": "10"})
    channels = {events.channel(k, user.id if k == events.ALERTS else None): k for k in kinds}
    pubsub = None
    try:
        poller = Poller(services.database(), kinds, user.id, poll_alerts=client is None).start()
        if client is not None:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(*channels)
    except Exception as error:  # redis raises ConnectionError, TimeoutError, OSError...
        slots.release()
        raise ApiError(503, f"the live stream is unavailable: {type(error).__name__}",
                       headers={"Retry-After": "30"}) from error
    ready = {"events": sorted(set(kinds)), "mode": "redis" if pubsub else "fallback",
             "delivery": "pub/sub and a database poll every 2 s" if pubsub else
             "fallback mode (no Redis): database poll every 2 s, no pub/sub"}
    body = _relay(pubsub, poller, channels, symbols, max_s, slots, ready)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(body), mimetype="text/event-stream", headers=headers)


def _relay(pubsub: Any, poller: Poller, channels: dict[str, str], symbols: set[str] | None,
           max_s: int, slots: threading.BoundedSemaphore,
           ready: dict[str, Any]) -> Iterator[str]:
    started = last_beat = last_poll = time.monotonic()
    seen: set[str] = set()
    try:
        yield f"retry: 5000\nevent: ready\ndata: {json.dumps(ready)}\n\n"
        while time.monotonic() - started < max_s:
            found: list[tuple[str, dict[str, Any]]] = []
            if pubsub is not None:
                message = pubsub.get_message(timeout=0.5)
                decoded = _decode(message, channels) if message else None
                if decoded:
                    found.append(decoded)
            else:
                time.sleep(0.5)
            now = time.monotonic()
            if now - last_poll >= POLL_S:
                last_poll = now
                found += poller.poll()
            for kind, payload in found:
                line = _format(kind, payload, symbols, seen)
                if line:
                    last_beat = now
                    yield line
            if now - last_beat >= HEARTBEAT_S:
                last_beat = now
                yield ": heartbeat\n\n"
        yield "event: end\ndata: {\"reason\": \"max_s reached; reconnect\"}\n\n"
    except Exception as error:  # noqa: BLE001 - Redis or the database gone: tell, then end
        logger.warning("stream ended by %s: %s", type(error).__name__, error)
        yield f"event: error\ndata: {json.dumps({'reason': type(error).__name__})}\n\n"
    finally:
        slots.release()
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception as error:  # noqa: BLE001 - closing a dead connection
                logger.debug("pubsub close: %s", error)


def _decode(message: dict[str, Any], channels: dict[str, str]
            ) -> tuple[str, dict[str, Any]] | None:
    name = message.get("channel")
    name = name.decode() if isinstance(name, bytes) else name
    kind = channels.get(str(name))
    data = message.get("data")
    if kind is None or message.get("type") != "message":
        return None
    try:
        payload = json.loads(data.decode() if isinstance(data, bytes) else str(data))
    except ValueError:
        return None
    return (kind, payload) if isinstance(payload, dict) else None


def _identity(kind: str, payload: dict[str, Any]) -> str:
    """What makes two events the same whichever source brought them."""
    if kind == events.ALERTS:
        key = payload.get("event_id", payload.get("id"))
        return f"alert:{key}" if key is not None else json.dumps(payload, sort_keys=True)
    keys = ("symbol", "interval", "last_bar_ts", "model_version_id")
    return f"{kind}:" + json.dumps([payload.get(k) for k in keys])


def _format(kind: str, payload: dict[str, Any], symbols: set[str] | None,
            seen: set[str]) -> str | None:
    if symbols is not None and kind != events.ALERTS and payload.get("symbol") not in symbols:
        return None
    identity = _identity(kind, payload)
    if identity in seen:
        return None
    if len(seen) >= SEEN_MAX:
        seen.clear()
    seen.add(identity)
    data = json.dumps(payload, separators=(",", ":"), default=str)
    return f"event: {EVENT_NAMES[kind]}\ndata: {data}\n\n"
