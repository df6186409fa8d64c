"""Run Alembic migrations from code (the launcher, the CLI and the tests all do)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ml.db.engine import make_engine, write_transaction

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our migrations; ``engine`` is reused when given."""
    from alembic.config import Config  # Alembic costs ~0.2 s of start-up: load it when used

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url",
                               engine.url.render_as_string(hide_password=False))
        config.attributes["engine"] = engine
    return config


MIGRATION_LOCK_ID = 0x466F7265  # "Fore": PostgreSQL advisory lock key for migrations


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema up to date; a no-op when it already is.

    Several processes may start at once on a fresh database (gunicorn workers, Celery): the
    migration runs under a write lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
    PostgreSQL), so the second process waits and then finds the schema at head.
    """
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        from alembic import command

        command.upgrade(config, "head")


@functools.cache
def open_database(url: str) -> Engine:
    """The process's engine for ``url``, migrated to the newest schema on first use."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    return engine
