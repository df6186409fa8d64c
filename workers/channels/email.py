"""E-mail channel over SMTP; settings from ``FORESIGHT_SMTP_*`` environment variables."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ml.settings import load_settings, settings_config
from workers.channels.base import ChannelError, SendResult

logger = logging.getLogger(__name__)


class SmtpSettings(BaseSettings):
    """``FORESIGHT_SMTP_HOST`` empty means e-mail is not set up (deliveries fail, unretried)."""

    model_config = settings_config()

    smtp_host: str = Field(default="")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = Field(default="")
    smtp_password: SecretStr = Field(default=SecretStr(""))
    smtp_sender: str = Field(default="foresight@localhost")
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")
    smtp_ssl: bool = Field(default=False, description="implicit TLS (port 465)")
    smtp_timeout_s: float = Field(default=10.0, gt=0)


def build_message(sender: str, address: str, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    subject = str(payload.get("message", "Foresight alert"))
    message["Subject"] = ("[Foresight test] " if payload.get("test") else "[Foresight] ") + \
        subject[:150]
    message["From"] = sender
    message["To"] = address
    lines = [subject, ""]
    for key in ("symbol", "interval", "rule", "bar", "close"):
        if payload.get(key) not in (None, ""):
            lines.append(f"{key}: {payload[key]}")
    lines += ["", "Manage your alerts on the Alerts page of Foresight."]
    message.set_content("\n".join(lines))
    return message


def send_email(address: str, payload: dict[str, Any],
               settings: SmtpSettings | None = None) -> SendResult:
    settings = settings or load_settings(SmtpSettings)
    if not settings.smtp_host:
        raise ChannelError("e-mail is not set up on this server (FORESIGHT_SMTP_HOST)",
                           retryable=False)
    message = build_message(settings.smtp_sender, address, payload)
    try:
        with _connect(settings) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise ChannelError(f"recipient refused: {error.recipients}", retryable=False) from None
    except smtplib.SMTPAuthenticationError as error:
        raise ChannelError(f"SMTP login failed: {error.smtp_code}", retryable=False) from None
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError(f"SMTP error: {error}") from None
    if refused:
        raise ChannelError(f"recipient refused: {refused}", retryable=False)
    return SendResult(f"accepted by {settings.smtp_host}:{settings.smtp_port}")


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.smtp_ssl:
        return smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                timeout=settings.smtp_timeout_s,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
