"""Fixtures for page tests: a private var dir and database, and a Flask app context whose
web cache is the filesystem one (fallback mode), so callbacks run as they do in the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from flask_login import LoginManager

from webapp import services


@pytest.fixture
def web_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointed at tmp_path (fallback mode: no Redis), per-process caches reset."""
    var_dir = tmp_path / "var"
    monkeypatch.setenv("FORESIGHT_VAR_DIR", str(var_dir))
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'web.db'}")
    monkeypatch.delenv("FORESIGHT_REDIS_URL", raising=False)
    services.core_settings.cache_clear()
    services.worker_settings.cache_clear()
    services.redis_client.cache_clear()
    yield var_dir
    services.core_settings.cache_clear()
    services.worker_settings.cache_clear()
    services.redis_client.cache_clear()


@pytest.fixture
def app_context(web_env: Path) -> Iterator[flask.Flask]:
    """A bare Flask app context: ``webapp.cache`` attaches its cache to it on first use."""
    server = flask.Flask("pages-test")
    login = LoginManager()
    login.init_app(server)
    login.user_loader(lambda _user_id: None)
    with server.app_context(), server.test_request_context("/"):
        yield server
