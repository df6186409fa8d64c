"""Celery beat's schedule. Later issues add data refresh, alert checks and retraining."""

from __future__ import annotations

from typing import Any


def beat_schedule() -> dict[str, Any]:
    return {
        "heartbeat": {"task": "workers.tasks.heartbeat", "schedule": 60.0},
    }
