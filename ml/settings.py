"""Typed settings for the domain layer and the helpers every layer's settings reuse.

Precedence is explicit argument > environment (``FORESIGHT_*``) > default, which is what
pydantic-settings gives when a settings class is built with keyword arguments.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "FORESIGHT_"

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message is one line naming the variable."""


def settings_config() -> SettingsConfigDict:
    """The configuration every layer's settings class shares."""
    return SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)


class CoreSettings(BaseSettings):
    """Where data lives and the limits of the domain layer."""

    model_config = settings_config()

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="Runtime files: database, "
                          "secrets, private Redis data.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means a SQLite "
                              "file in var_dir.")
    csv_max_bytes: int = Field(default=50_000_000, gt=0, description="Largest CSV import.")
    yfinance_timeout_s: float = Field(default=10.0, gt=0)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``var_dir/foresight.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'foresight.db'}"


def load_settings(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build a settings object, turning pydantic's report into one line per bad variable."""
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {item['msg']} "
                            f"(got {item.get('input')!r})")
        raise SettingsError("; ".join(problems)) from None


def persistent_secret(var_dir: Path, name: str) -> str:
    """A secret kept in ``var_dir/secrets/name`` with 0600 permissions, created on first use.

    Used only when the environment does not provide the secret, so a single-machine install
    works without configuration and restarts keep sessions valid.
    """
    secret_dir = var_dir / "secrets"
    secret_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = secret_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)
    # Publish the secret whole: write a private temporary file, then hard-link it into place.
    # The link fails when another process (say, a second gunicorn worker on first start) won
    # the race, and then its complete value is read. Creating the file itself with O_EXCL left
    # a moment where the loser read an empty secret.
    draft = secret_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink()
    logger.info("generated secret %s in %s", name, secret_dir)
    return value
