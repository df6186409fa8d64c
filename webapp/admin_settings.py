"""Runtime-editable job policy (retraining age, drift thresholds) kept in ``app_settings``.

Stored under ``jobs.policy`` as a JSON object of ``JobPolicy`` field overrides; the schedule
itself is stored by ``workers.schedule.save_schedule`` under ``jobs.schedule``. Values are
validated by ``JobPolicy`` itself, so the page can never store what the workers would refuse.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from ml.app_settings import read_setting, write_setting
from workers.policy import POLICY_KEY, JobPolicy, apply_overrides

logger = logging.getLogger(__name__)

# The JobPolicy fields an admin may change from the page, with their labels.
EDITABLE_POLICY: dict[str, str] = {
    "model_max_age_days": "Retrain models older than (days)",
    "drift_delta": "Drift: Page-Hinkley delta",
    "drift_threshold": "Drift: Page-Hinkley threshold",
    "drift_coverage_window": "Drift: coverage window (bars)",
    "drift_coverage_alpha": "Drift: coverage test alpha",
}


def check_policy(overrides: dict[str, Any]) -> dict[str, Any]:
    """Validate overrides with ``JobPolicy``; ValueError names the first bad field."""
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
    value = read_setting(engine, POLICY_KEY)
    return value if isinstance(value, dict) else {}


def effective_policy(engine: Engine) -> dict[str, Any]:
    """Environment and defaults (``JobPolicy``) overlaid with the stored overrides."""
    policy = apply_overrides(JobPolicy(), stored_policy(engine)).model_dump()
    return {name: policy[name] for name in EDITABLE_POLICY}


def save_policy(engine: Engine, overrides: dict[str, Any]) -> dict[str, Any]:
    clean = check_policy(overrides)
    write_setting(engine, POLICY_KEY, clean)
    logger.info("job policy overrides saved: %s", clean)
    return effective_policy(engine)
