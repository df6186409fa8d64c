"""The worker process's database, Redis and lock lifetime: opened once per process, from the
worker's settings. Its own module so that the job policy and the task runtime can both use it
without importing each other."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Engine


@functools.cache
def engine() -> Engine:
    from ml.db import open_database
    from workers.settings import core_settings

    return open_database(core_settings().resolved_database_url())


@functools.cache
def redis_client() -> Any:
    """Redis (broker database: locks and latest forecasts); None in fallback mode."""
    from workers.settings import worker_settings

    return worker_settings().make_redis_client()


def lock_ttl_s() -> float:
    """How long a training lock lives without refresh: the visibility timeout."""
    from workers.settings import worker_settings

    return float(worker_settings().visibility_timeout_s)
