"""Runtime-editable settings kept as JSON in the ``app_settings`` table, one row per key.

The admin page writes them (schedules, job policy, watch intervals); workers and beat read
them. One reader and one writer, so every caller treats a corrupt value the same way.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ml.db import write_transaction
from ml.db.schema import app_settings

logger = logging.getLogger(__name__)


def read_setting(source: Engine | Connection, key: str) -> Any:
    """The stored value, or None when absent or not valid JSON (logged, never raised)."""
    query = select(app_settings.c.value_json).where(app_settings.c.key == key)
    if isinstance(source, Connection):
        raw = source.execute(query).scalar()
    else:
        with source.connect() as connection:
            raw = connection.execute(query).scalar()
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        logger.error("app_settings %s is not JSON: %r", key, raw)
        return None


def write_setting(engine: Engine, key: str, value: Any) -> None:
    """Insert or replace one setting in a single write transaction."""
    values = {"value_json": json.dumps(value), "updated_at": datetime.now(UTC)}
    with write_transaction(engine) as connection:
        exists = connection.execute(select(app_settings.c.key)
                                    .where(app_settings.c.key == key)).first()
        if exists:
            connection.execute(app_settings.update().where(app_settings.c.key == key)
                               .values(**values))
        else:
            connection.execute(app_settings.insert().values(key=key, **values))
