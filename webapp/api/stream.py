"""``GET /api/v1/stream``: server-sent events relayed from Redis pub/sub.

Events: ``bar`` and ``forecast`` (optionally only for ``symbols``) and ``alert`` (only the
caller's own: the channel is chosen from the authenticated user, never from the request).
A comment line every ``HEARTBEAT_S`` keeps proxies from closing the connection; a stream
ends after ``max_s`` seconds with ``event: end`` and clients reconnect (``retry:``). Each
open stream holds one web thread, so a process serves at most ``MAX_STREAMS`` at once and
answers 503 beyond that. In fallback mode (no Redis) there is no pub/sub: 503 says so.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, stream_with_context

from ml import events
from webapp import services
from webapp.api import params
from webapp.api.errors import ApiError, invalid

logger = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
MAX_STREAMS = 2
DEFAULT_MAX_S = 300
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
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in events.KINDS]
    if unknown or not kinds:
        raise invalid("events", f"must be a comma-separated subset of "
                      f"{', '.join(events.KINDS)}; got {text[:60]!r}")
    return kinds


def _symbols() -> set[str] | None:
    from webapp.api.market import canonical_symbol

    text = params.request.args.get("symbols")
    if not text:
        return None
    return {canonical_symbol(s) for s in text.split(",")[:100] if s.strip()}


def stream() -> Response:
    from webapp.api.v1 import current_user

    params.allowed_query(["events", "symbols", "max_s"])
    kinds = _kinds()
    symbols = _symbols()
    max_s = params.integer("max_s", DEFAULT_MAX_S, 1, 3600) or DEFAULT_MAX_S
    user = current_user()
    client = services.redis_client()
    if client is None:
        raise ApiError(503, "the live stream needs Redis and this server runs in fallback "
                       "mode (no Redis): poll /api/v1/predict and /api/v1/history instead",
                       headers={"Retry-After": "300"})
    slots = _slots()
    if not slots.acquire(blocking=False):
        raise ApiError(503, f"this server process already serves {MAX_STREAMS} live streams; "
                       "try again shortly", headers={"Retry-After": "10"})
    channels = {events.channel(k, user.id if k == events.ALERTS else None): k for k in kinds}
    try:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(*channels)
    except Exception as error:  # redis raises ConnectionError, TimeoutError, OSError...
        slots.release()
        raise ApiError(503, f"the live stream is unavailable: {type(error).__name__}",
                       headers={"Retry-After": "30"}) from error
    body = _relay(pubsub, channels, symbols, max_s, slots)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(body), mimetype="text/event-stream", headers=headers)


def _relay(pubsub: Any, channels: dict[str, str], symbols: set[str] | None, max_s: int,
           slots: threading.BoundedSemaphore) -> Iterator[str]:
    started = last_beat = time.monotonic()
    try:
        ready = json.dumps({"events": sorted(set(channels.values()))})
        yield f"retry: 5000\nevent: ready\ndata: {ready}\n\n"
        while time.monotonic() - started < max_s:
            message = pubsub.get_message(timeout=1.0)
            now = time.monotonic()
            if message is None or message.get("type") != "message":
                if now - last_beat >= HEARTBEAT_S:
                    last_beat = now
                    yield ": heartbeat\n\n"
                continue
            line = _format(message, channels, symbols)
            if line:
                yield line
        yield "event: end\ndata: {\"reason\": \"max_s reached; reconnect\"}\n\n"
    except Exception as error:  # noqa: BLE001 - Redis gone mid-stream: tell the client, end
        logger.warning("stream ended by %s: %s", type(error).__name__, error)
        yield f"event: error\ndata: {json.dumps({'reason': type(error).__name__})}\n\n"
    finally:
        slots.release()
        try:
            pubsub.close()
        except Exception as error:  # noqa: BLE001 - closing a dead connection
            logger.debug("pubsub close: %s", error)


def _format(message: dict[str, Any], channels: dict[str, str],
            symbols: set[str] | None) -> str | None:
    name = message.get("channel")
    name = name.decode() if isinstance(name, bytes) else name
    kind = channels.get(str(name))
    if kind is None:
        return None
    data = message.get("data")
    text = data.decode() if isinstance(data, bytes) else str(data)
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if symbols is not None and kind != events.ALERTS and payload.get("symbol") not in symbols:
        return None
    return f"event: {EVENT_NAMES[kind]}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"
