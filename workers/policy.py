"""How tasks behave: retries and backoff, model age for retraining, drift thresholds.

Environment variables ``FORESIGHT_JOBS_*`` set them; the admin page's edits, stored in
``app_settings`` under ``jobs.policy``, override them and reach every worker within
``POLICY_REFRESH_S`` seconds. The tests shorten the backoff so a retry test takes seconds.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ml.app_settings import read_setting
from ml.settings import ENV_PREFIX, load_settings
from workers.backoff import exponential_backoff_s

logger = logging.getLogger(__name__)


class JobPolicy(BaseSettings):
    """Retry, retraining and drift knobs of the job layer."""

    model_config = SettingsConfigDict(env_prefix=f"{ENV_PREFIX}JOBS_", extra="ignore",
                                      validate_default=True)

    max_retries: int = Field(default=4, ge=0, le=20, description="retries of a transient "
                             "error (network, rate limit, database busy) before giving up")
    retry_backoff_s: float = Field(default=5.0, gt=0, description="first retry delay; doubles")
    retry_backoff_max_s: float = Field(default=600.0, gt=0)
    max_worker_losses: int = Field(default=3, ge=0, le=100, description="deliveries of one "
                                   "job whose worker died before it ended; one more fails it")
    model_max_age_days: float = Field(default=30.0, gt=0, description="retrain_stale retrains "
                                      "active models older than this")
    drift_delta: float = Field(default=0.5, ge=0)
    drift_threshold: float = Field(default=10.0, gt=0)
    drift_coverage_window: int = Field(default=50, ge=10)
    drift_coverage_alpha: float = Field(default=0.01, gt=0, lt=0.5)
    job_retention_days: float = Field(default=30.0, gt=0, description="finished jobs older "
                                      "than this are deleted by the nightly prune_jobs")
    cancel_poll_s: float = Field(default=0.5, gt=0, description="how often a training checks "
                                 "whether it was cancelled")

    def backoff_s(self, retries: int) -> float:
        """Delay before retry number ``retries + 1``: exponential, capped."""
        return exponential_backoff_s(retries, first_s=self.retry_backoff_s,
                                     max_s=self.retry_backoff_max_s)


POLICY_KEY = "jobs.policy"
POLICY_REFRESH_S = 30


def job_policy() -> JobPolicy:
    """Defaults < environment < the admin's stored overrides, re-read every 30 s at most."""
    return _policy_for_period(int(time.monotonic() // POLICY_REFRESH_S))


@functools.lru_cache(maxsize=1)
def _policy_for_period(_period: int) -> JobPolicy:
    from sqlalchemy.exc import SQLAlchemyError

    from workers.connections import engine

    base = load_settings(JobPolicy)
    try:
        stored = read_setting(engine(), POLICY_KEY)
    except SQLAlchemyError as error:
        logger.warning("job policy overrides unreadable, using the environment: %s", error)
        return base
    return apply_overrides(base, stored)


def apply_overrides(base: JobPolicy, stored: Any) -> JobPolicy:
    """``base`` with the stored overrides that are valid fields; invalid ones are logged."""
    if not isinstance(stored, dict) or not stored:
        return base
    known = {name: value for name, value in stored.items() if name in JobPolicy.model_fields}
    try:
        return JobPolicy(**(base.model_dump() | known))
    except ValidationError as error:
        logger.error("ignoring stored job policy %s: %s", known, error)
        return base
