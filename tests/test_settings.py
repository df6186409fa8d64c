"""Settings: precedence, one-line errors naming the variable, secrets kept with 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ml.settings import CoreSettings, SettingsError, load_settings, persistent_secret
from webapp.settings import WebSettings
from workers.settings import WorkerSettings


def test_argument_beats_environment_beats_default(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    assert load_settings(WebSettings).port == 8050
    monkeypatch.setenv("FORESIGHT_PORT", "9000")
    assert load_settings(WebSettings).port == 9000
    assert load_settings(WebSettings, port=9100).port == 9100


def test_malformed_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORESIGHT_PORT", "eighty")
    with pytest.raises(SettingsError, match="FORESIGHT_PORT") as raised:
        load_settings(WebSettings)
    assert "\n" not in str(raised.value)


def test_redis_url_must_be_a_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORESIGHT_REDIS_URL", "http://localhost")
    with pytest.raises(SettingsError, match="redis://"):
        load_settings(WorkerSettings)


def test_empty_redis_url_means_fallback_mode() -> None:
    assert WorkerSettings(redis_url="").mode == "fallback"
    assert WorkerSettings(redis_url="redis://127.0.0.1:6390").mode == "redis"


def test_visibility_timeout_outlives_the_hard_time_limit() -> None:
    settings = WorkerSettings(task_time_limit_s=100, task_soft_time_limit_s=90)
    assert settings.visibility_timeout_s > settings.task_time_limit_s


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    url = CoreSettings(var_dir=tmp_path).resolved_database_url()
    assert url == f"sqlite:///{tmp_path / 'foresight.db'}"


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = persistent_secret(tmp_path, "secret_key")
    assert persistent_secret(tmp_path, "secret_key") == first
    assert len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secrets" / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_two_first_starts_at_once_share_one_complete_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two gunicorn workers on a fresh install: the one that loses the race reads the winner's
    whole secret (it used to be able to read the file between its creation and its write)."""
    import os

    import ml.settings

    real_link = os.link
    rival: list[str] = []

    def link_after_a_rival(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        if not rival:  # the rival process finishes first, between our write and our publish
            monkeypatch.setattr(ml.settings.os, "link", real_link)
            rival.append(persistent_secret(tmp_path, "secret_key"))
        real_link(source, target)

    monkeypatch.setattr(ml.settings.os, "link", link_after_a_rival)
    ours = persistent_secret(tmp_path, "secret_key")
    assert rival and ours == rival[0] and len(ours) >= 32
    assert sorted(p.name for p in (tmp_path / "secrets").iterdir()) == ["secret_key"]  # no drafts
