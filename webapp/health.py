"""System health: database, broker (Redis or the SQLite fallback) and workers.

Used by ``GET /healthz`` and, later, the admin page. Every probe has a short timeout so a dead
component makes the answer "down", never a hung request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import text

from webapp import services

logger = logging.getLogger(__name__)


@dataclass
class ComponentHealth:
    status: str  # "ok", "down" or "unknown"
    detail: str = ""
    latency_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _timed(probe: Any) -> ComponentHealth:
    started = time.perf_counter()
    try:
        health: ComponentHealth = probe()
    except Exception as error:  # noqa: BLE001 - any failure of a probe means "down"
        logger.warning("health probe %s failed: %s", probe.__name__, error)
        health = ComponentHealth("down", f"{type(error).__name__}: {error}")
    health.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return health


def check_database() -> ComponentHealth:
    engine = services.database()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return ComponentHealth("ok", engine.url.get_backend_name())


def check_broker() -> ComponentHealth:
    settings = services.worker_settings()
    client = services.redis_client()
    if client is None:
        return ComponentHealth("ok", "fallback: Celery on SQLite, cache on the filesystem",
                               extra={"mode": "fallback"})
    client.ping()
    return ComponentHealth("ok", "redis", extra={"mode": settings.mode})


def check_workers(timeout_s: float) -> ComponentHealth:
    if services.worker_settings().mode != "redis":
        # The SQLAlchemy transport has no broadcast, so workers cannot be pinged.
        return ComponentHealth("unknown", "worker ping needs Redis (fallback mode)")
    replies = services.celery_client().control.ping(timeout=timeout_s)
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return ComponentHealth("down", "no worker answered the ping")
    return ComponentHealth("ok", f"{len(names)} worker(s)", extra={"workers": names})


def check_roundtrip(timeout_s: float) -> ComponentHealth:
    """Send a real task and wait for its result: proves broker, worker and backend together."""
    client = services.celery_client()
    result = client.send_task("workers.tasks.echo", args=[{"probe": "healthz"}])
    try:
        reply = result.get(timeout=timeout_s)
    finally:
        result.forget()
    return ComponentHealth("ok", f"task {result.id} ran on {reply['worker']}")


def system_health(timeout_s: float = 1.0,
                  roundtrip: bool = False) -> tuple[dict[str, Any], bool]:
    """The health document and whether every required part is up."""
    components = {"database": _timed(check_database), "broker": _timed(check_broker)}
    if components["broker"].status == "down":
        # Pinging workers through a dead broker would only add its timeout to the answer.
        components["workers"] = ComponentHealth("unknown", "broker is down")
    else:
        components["workers"] = _timed(lambda: check_workers(timeout_s))
    if roundtrip and components["workers"].status == "ok":
        components["roundtrip"] = _timed(lambda: check_roundtrip(max(timeout_s, 5.0)))
    healthy = all(c.status in {"ok", "unknown"} for c in components.values())
    document = {
        "status": "ok" if healthy else "down",
        "mode": services.worker_settings().mode,
        "components": {name: asdict(c) for name, c in components.items()},
    }
    return document, healthy
