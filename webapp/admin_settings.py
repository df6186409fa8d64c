"""Runtime-editable job policy (retraining age, drift thresholds) kept in ``app_settings``.

Stored under ``jobs.policy`` as a JSON object of ``JobPolicy`` field overrides; the schedule
itself is stored by ``workers.schedule.save_schedule`` under ``jobs.schedule``. Values are
validated by ``JobPolicy`` itself, so the page can never store what the workers would refuse.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, select

from ml.db import write_transaction
from ml.db.schema import app_settings

logger = logging.getLogger(__name__)

POLICY_KEY = "jobs.policy"
# The JobPolicy fields an admin may change from the page, with their labels.
EDITABLE_POLICY: dict[str, str] = {
    "model_max_age_days": "Retrain models older than (days)",
    "drift_delta": "Drift: Page-Hinkley delta",
    "drift_threshold": "Drift: Page-Hinkley threshold",
    "drift_coverage_window": "Drift: coverage window (bars)",
    "drift_coverage_alpha": "Drift: coverage test alpha",
}


def _read(engine: Engine, key: str) -> Any:
    with engine.connect() as connection:
        raw = connection.execute(select(app_settings.c.value_json)
                                 .where(app_settings.c.key == key)).scalar()
    return None if raw is None else json.loads(raw)


def _write(engine: Engine, key: str, value: Any) -> None:
    values = {"value_json": json.dumps(value), "updated_at": datetime.now(UTC)}
    with write_transaction(engine) as connection:
        exists = connection.execute(select(app_settings.c.key)
                                    .where(app_settings.c.key == key)).first()
        if exists:
            connection.execute(app_settings.update().where(app_settings.c.key == key)
                               .values(**values))
        else:
            connection.execute(app_settings.insert().values(key=key, **values))


def check_policy(overrides: dict[str, Any]) -> dict[str, Any]:
    """Validate overrides with ``JobPolicy``; ValueError names the first bad field."""
    from workers.policy import JobPolicy

    unknown = sorted(set(overrides) - set(EDITABLE_POLICY))
    if unknown:
        raise ValueError(f"{unknown[0]}: not an editable policy field")
    try:
        JobPolicy(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise ValueError(f"{field}: {first['msg']} (got {first.get('input')!r})") from None
    return dict(overrides)


def stored_policy(engine: Engine) -> dict[str, Any]:
    value = _read(engine, POLICY_KEY)
    return value if isinstance(value, dict) else {}


def effective_policy(engine: Engine) -> dict[str, Any]:
    """Environment and defaults (``JobPolicy``) overlaid with the stored overrides."""
    from workers.policy import JobPolicy

    base = JobPolicy().model_dump()
    stored = stored_policy(engine)
    return {name: stored.get(name, base[name]) for name in EDITABLE_POLICY}


def save_policy(engine: Engine, overrides: dict[str, Any]) -> dict[str, Any]:
    clean = check_policy(overrides)
    _write(engine, POLICY_KEY, clean)
    logger.info("job policy overrides saved: %s", clean)
    return effective_policy(engine)
