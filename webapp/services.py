"""Clients the web process keeps per process: Celery producer, Redis, database engine.

Built lazily on first use (never at import), cached per process so gunicorn workers each get
their own connection pools.
"""

from __future__ import annotations

import functools
import logging

import redis
from celery import Celery
from sqlalchemy import Engine

from ml.db import open_database
from ml.settings import CoreSettings, load_settings
from workers.settings import WorkerSettings

logger = logging.getLogger(__name__)


@functools.cache
def core_settings() -> CoreSettings:
    return load_settings(CoreSettings)


@functools.cache
def worker_settings() -> WorkerSettings:
    return load_settings(WorkerSettings)


def database() -> Engine:
    return open_database(core_settings().resolved_database_url())


@functools.cache
def celery_client() -> Celery:
    """A Celery app used only to send tasks by name and read results (no task code, no Keras)."""
    from workers.celery_app import create_celery

    return create_celery(worker_settings(), core_settings())


@functools.cache
def redis_client() -> redis.Redis | None:
    """Redis for pub/sub and health; ``None`` in fallback mode."""
    client: redis.Redis | None = worker_settings().make_redis_client()
    return client
