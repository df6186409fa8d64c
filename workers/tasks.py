"""Tasks: thin wrappers around ``ml``. JSON arguments in, JSON results out."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from workers.celery_app import app

logger = logging.getLogger(__name__)


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
