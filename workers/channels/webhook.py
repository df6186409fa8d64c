"""Webhook channel: a JSON POST signed with HMAC-SHA256 over the timestamp and the body.

Headers: ``X-Foresight-Timestamp`` (Unix seconds) and ``X-Foresight-Signature``
(``sha256=`` + hex HMAC of ``"{timestamp}." + body`` with the channel's secret). A receiver
recomputes it and rejects old timestamps (replay protection); ``verify_signature`` does both.
Slack and Discord incoming-webhook URLs get the payload shape they accept (``text`` and
``content``); every other URL gets the full event (see docs/alerts.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from workers.channels.base import ChannelError, SendResult

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Foresight-Timestamp"
SIGNATURE_HEADER = "X-Foresight-Signature"
DELIVERY_HEADER = "X-Foresight-Delivery"
TIMEOUT_S = 10.0
DISCORD_LIMIT = 2000


def detect_style(url: str, configured: str = "generic") -> str:
    """Slack and Discord by their URL, else what the user chose."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "hooks.slack.com":
        return "slack"
    if host in {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"} \
            and parts.path.startswith("/api/webhooks/"):
        return "discord"
    return configured


def body_for(style: str, payload: dict[str, Any]) -> dict[str, Any]:
    message = str(payload.get("message", "Foresight alert"))
    if style == "slack":
        return {"text": f":bell: {message}"}
    if style == "discord":
        return {"content": f"🔔 {message}"[:DISCORD_LIMIT], "username": "Foresight"}
    return {"type": "alert.test" if payload.get("test") else "alert.fired", "event": payload}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, *,
                     tolerance_s: int = 300, now: float | None = None) -> bool:
    """What a receiver does: constant-time compare, and refuse timestamps too far off."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


def build_request(config: dict[str, Any], payload: dict[str, Any],
                  timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one POST."""
    style = detect_style(str(config["url"]), str(config.get("style") or "generic"))
    body = json.dumps(body_for(style, payload), separators=(",", ":"),
                      ensure_ascii=False).encode()
    stamp = int(timestamp if timestamp is not None else time.time())
    headers = {"Content-Type": "application/json", "User-Agent": "Foresight-Alerts/1",
               TIMESTAMP_HEADER: str(stamp)}
    if config.get("secret"):
        headers[SIGNATURE_HEADER] = sign(str(config["secret"]), stamp, body)
    if payload.get("delivery_id") is not None:
        headers[DELIVERY_HEADER] = str(payload["delivery_id"])
    return body, headers


def send_webhook(config: dict[str, Any], payload: dict[str, Any],
                 timeout_s: float = TIMEOUT_S) -> SendResult:
    body, headers = build_request(config, payload)
    request = urllib.request.Request(str(config["url"]), data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return SendResult(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        # 408, 429 and 5xx may pass later; any other 4xx will not.
        retryable = error.code in (408, 425, 429) or error.code >= 500
        raise ChannelError(f"HTTP {error.code} {error.reason}", retryable=retryable) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ChannelError(f"cannot reach the webhook: {reason}") from None
