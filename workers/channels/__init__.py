"""Notification channels: each turns an alert payload into one delivery attempt.

``send(channel, payload, config)`` raises ``ChannelError`` on failure; ``retryable`` says
whether another attempt may succeed (a 500 or a timeout) or not (a 404, a bad address).
"""

from __future__ import annotations

import logging
from typing import Any

from workers.channels.base import ChannelError, SendResult

logger = logging.getLogger(__name__)


def send(channel: str, payload: dict[str, Any], config: dict[str, Any] | None,
         publisher: Any = None) -> SendResult:
    """Deliver ``payload`` on ``channel`` with the owner's ``config``."""
    if channel == "webhook":
        from workers.channels.webhook import send_webhook

        if not config or not config.get("url"):
            raise ChannelError("no webhook URL is set up", retryable=False)
        return send_webhook(config, payload)
    if channel == "email":
        from workers.channels.email import send_email

        if not config or not config.get("address"):
            raise ChannelError("no e-mail address is set up", retryable=False)
        return send_email(config["address"], payload)
    if channel == "in_app":
        from workers.channels.in_app import publish

        return publish(payload, publisher)
    raise ChannelError(f"channel {channel!r} is not sent by workers", retryable=False)


__all__ = ["ChannelError", "SendResult", "send"]
