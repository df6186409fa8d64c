"""In-app channel: the event row is the notification; a pub/sub message tells live pages early.

The navbar bell reads unread events from the database, so in-app delivery cannot be lost even
without Redis (fallback mode); publishing on ``ml.alerts.events`` (relayed by ``/api/v1/stream``)
only shortens the wait.
"""

from __future__ import annotations

import logging
from typing import Any

from workers.channels.base import SendResult

logger = logging.getLogger(__name__)


def publish(payload: dict[str, Any], publisher: Any = None) -> SendResult:
    owner = payload.get("owner_id")
    if publisher is None or owner is None:
        return SendResult("stored (no live feed in fallback mode)")
    from ml.alerts import events

    if events.publish(publisher, events.ALERTS, payload, user_id=int(owner)):
        return SendResult("stored; published to the live feed")
    return SendResult("stored; live feed publish failed (the bell still shows it)")
