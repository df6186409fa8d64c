"""Settings of the web layer."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from ml.settings import settings_config


class WebSettings(BaseSettings):
    """How the web process listens and signs sessions.

    ``secret_key`` comes from the environment, or is generated once and kept in
    ``var/secrets`` (see ``ml.settings.persistent_secret``).
    """

    model_config = settings_config()

    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8050, ge=1, le=65535)
    secret_key: SecretStr = Field(default=SecretStr(""))
    health_timeout_s: float = Field(default=1.0, gt=0, le=10)
    cache_timeout_s: int = Field(default=300, ge=0)
    plotly_bundle: Path | None = Field(
        default=None, description="partial plotly.js built by scripts/build-plotly; default "
        "<virtual environment>/share/foresight/plotly-foresight.min.js")
