"""Settings of the job layer: where the broker is and how long tasks may run."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from ml.settings import CoreSettings, load_settings, settings_config


class WorkerSettings(BaseSettings):
    """Broker, result backend and time limits.

    An empty ``redis_url`` selects the fallback engine: Celery's SQLAlchemy transport and
    result backend on SQLite files in ``var_dir``. Same code, smaller engine.
    """

    model_config = settings_config()

    redis_url: str = Field(default="", description="redis://host:port[/db]; empty = fallback")
    broker_db: int = Field(default=0, ge=0, le=15)
    cache_db: int = Field(default=1, ge=0, le=15)
    task_soft_time_limit_s: int = Field(default=3300, gt=0)
    task_time_limit_s: int = Field(default=3600, gt=0)
    broker_timeout_s: float = Field(default=2.0, gt=0, description="connect/send timeout so "
                                    "that .delay() never hangs a web request")
    visibility_margin_s: int = Field(default=600, gt=0, description="how much longer than the "
                                     "hard limit Redis waits before redelivering an unacked "
                                     "task (short only in the redelivery tests)")

    @model_validator(mode="after")
    def _check_limits(self) -> WorkerSettings:
        if self.task_soft_time_limit_s >= self.task_time_limit_s:
            raise ValueError("task_soft_time_limit_s must be below task_time_limit_s")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://")):
            raise ValueError("redis_url must start with redis:// or rediss://")
        return self

    @property
    def mode(self) -> str:
        """``redis`` or ``fallback`` (SQLite transport): shown on /healthz and the admin page."""
        return "redis" if self.redis_url else "fallback"

    @property
    def visibility_timeout_s(self) -> int:
        # Longer than the hard limit, or Redis hands a still-running task to another worker.
        return self.task_time_limit_s + self.visibility_margin_s

    def make_redis_client(self) -> Any:
        """A Redis client on the broker database with our timeouts; None in fallback mode.

        Callers keep one per process (``workers.connections.redis_client``,
        ``webapp.services.redis_client``).
        """
        if self.mode != "redis":
            return None
        import redis

        return redis.Redis.from_url(self.redis_db_url(self.broker_db),
                                    socket_timeout=self.broker_timeout_s,
                                    socket_connect_timeout=self.broker_timeout_s,
                                    health_check_interval=10)

    def redis_db_url(self, db: int) -> str:
        base = self.redis_url.rstrip("/")
        scheme, _, rest = base.partition("://")
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/{db}"


def worker_settings() -> WorkerSettings:
    return load_settings(WorkerSettings)


def core_settings() -> CoreSettings:
    return load_settings(CoreSettings)
