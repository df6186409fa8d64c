"""The job policy: defaults < environment < the admin's stored overrides, read by workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml.app_settings import read_setting, write_setting
from ml.db import open_database
from webapp import admin_settings
from workers import connections, policy


@pytest.fixture
def policy_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'policy.db'}")
    monkeypatch.setenv("FORESIGHT_JOBS_MODEL_MAX_AGE_DAYS", "12")
    connections.engine.cache_clear()
    policy._policy_for_period.cache_clear()
    yield open_database(f"sqlite:///{tmp_path / 'policy.db'}")
    connections.engine.cache_clear()
    policy._policy_for_period.cache_clear()


def test_environment_applies_until_the_admin_overrides_it(policy_db) -> None:  # type: ignore[no-untyped-def]
    assert policy.job_policy().model_max_age_days == 12
    admin_settings.save_policy(policy_db, {"model_max_age_days": 3, "drift_threshold": 25})
    policy._policy_for_period.cache_clear()  # what POLICY_REFRESH_S seconds do in a worker
    effective = policy.job_policy()
    assert effective.model_max_age_days == 3
    assert effective.drift_threshold == 25
    assert admin_settings.effective_policy(policy_db)["model_max_age_days"] == 3


def test_invalid_stored_overrides_are_ignored_not_fatal(policy_db) -> None:  # type: ignore[no-untyped-def]
    write_setting(policy_db, policy.POLICY_KEY, {"model_max_age_days": -1, "unknown": 1})
    assert policy.job_policy().model_max_age_days == 12


def test_the_page_refuses_a_bad_value_naming_the_field(policy_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="drift_threshold"):
        admin_settings.save_policy(policy_db, {"drift_threshold": 0})
    assert read_setting(policy_db, policy.POLICY_KEY) is None
