"""Account storage and the ``python -m webapp`` CLI, on a real SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ml.db.schema import api_tokens, users
from tests.conftest import PROJECT_ROOT
from webapp import accounts


def test_passwords_are_hashed_and_checked(engine: Engine) -> None:
    user = accounts.create_user(engine, "alice", "a long password", "admin")
    with engine.connect() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert "a long password" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert accounts.authenticate(engine, "alice", "a long password").id == user.id
    assert accounts.authenticate(engine, "alice", "a long passworD") is None
    assert accounts.authenticate(engine, "nobody", "a long password") is None
    assert accounts.find_user(engine, "alice").last_login is not None


@pytest.mark.parametrize(("username", "password", "role", "message"), [
    ("al", "a long password", "viewer", "username"),
    ("alice smith", "a long password", "viewer", "username"),
    ("alice", "short", "viewer", "password"),
    ("alice", " padded password ", "viewer", "whitespace"),
    ("alice", "a long password", "root", "role"),
])
def test_bad_accounts_are_refused_with_the_reason(engine: Engine, username: str, password: str,
                                                  role: str, message: str) -> None:
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create_user(engine, username, password, role)
    assert accounts.count_users(engine) == 0


def test_usernames_are_unique(engine: Engine) -> None:
    accounts.create_user(engine, "alice", "a long password")
    with pytest.raises(accounts.AccountError, match="already taken"):
        accounts.create_user(engine, "alice", "another password")


def test_tokens_are_stored_hashed_and_can_be_revoked_only_by_their_owner(
        engine: Engine) -> None:
    alice = accounts.create_user(engine, "alice", "a long password")
    bob = accounts.create_user(engine, "bob", "a long password")
    info, token = accounts.create_token(engine, alice.id, "laptop")
    with engine.connect() as connection:
        stored = connection.execute(select(api_tokens.c.token_hash)).scalar_one()
    assert token not in stored and stored == accounts.hash_token(token)
    assert accounts.user_for_token(engine, token).id == alice.id
    assert accounts.list_tokens(engine, alice.id)[0].last_used_at is not None
    assert accounts.user_for_token(engine, token + "x") is None
    assert accounts.user_for_token(engine, "") is None
    assert not accounts.revoke_token(engine, bob.id, info.id)  # not bob's token
    assert accounts.user_for_token(engine, token).id == alice.id
    assert accounts.revoke_token(engine, alice.id, info.id)
    assert accounts.user_for_token(engine, token) is None
    with pytest.raises(accounts.AccountError, match="token name"):
        accounts.create_token(engine, alice.id, "  ")


def test_watchlists_keep_order_and_drop_duplicates(engine: Engine) -> None:
    alice = accounts.create_user(engine, "alice", "a long password")
    bob = accounts.create_user(engine, "bob", "a long password")
    assert accounts.set_watchlist(engine, alice.id, ["MSFT", "AAPL", "MSFT", " "]) == [
        "MSFT", "AAPL"]
    accounts.set_watchlist(engine, bob.id, ["BTC-USD"])
    assert accounts.get_watchlist(engine, alice.id) == ["MSFT", "AAPL"]
    assert accounts.watched_symbols(engine) == ["AAPL", "BTC-USD", "MSFT"]


def _cli(args: list[str], var_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_VAR_DIR=str(var_dir), PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "webapp", *args], input=stdin, env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)


def test_cli_creates_an_admin_and_a_token_printed_once(tmp_path: Path) -> None:
    created = _cli(["create-admin", "root", "--password-stdin"], tmp_path,
                   "a long password\n")
    assert created.returncode == 0, created.stderr
    assert "Log in at http://" in created.stdout and "/login" in created.stdout
    again = _cli(["create-admin", "root", "--password-stdin"], tmp_path, "a long password\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = _cli(["create-admin", "other", "--password-stdin"], tmp_path, "short\n")
    assert weak.returncode == 2 and "password must be" in weak.stderr
    no_tty = _cli(["create-admin", "other"], tmp_path)
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    token = _cli(["create-token", "root", "--name", "ci"], tmp_path)
    assert token.returncode == 0, token.stderr
    printed = token.stdout.strip()
    assert printed.startswith(accounts.TOKEN_PREFIX) and "shown once" in token.stderr
    missing = _cli(["create-token", "ghost"], tmp_path)
    assert missing.returncode == 2 and "no user named 'ghost'" in missing.stderr
    from ml.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'foresight.db'}")
    try:
        user = accounts.user_for_token(engine, printed)
        assert user is not None and user.username == "root" and user.is_admin
    finally:
        engine.dispose()


@pytest.mark.parametrize(("who", "requested_by", "task", "visible"), [
    ("alice-admin", "bob", "workers.tasks.train_model", True),
    ("bob", "bob", "workers.tasks.train_model", True),
    ("bob", "carol", "workers.tasks.run_backtest", False),
    ("bob", None, "workers.tasks.run_backtest", False),
    (None, None, "workers.tasks.run_backtest", True),
    (None, None, "workers.tasks.train_model", False),
    (None, "bob", "workers.tasks.run_backtest", False),
])
def test_job_ids_from_the_browser_reach_only_the_callers_jobs(
        who: str | None, requested_by: str | None, task: str, visible: bool) -> None:
    from datetime import UTC, datetime

    import flask
    from flask_login import LoginManager

    from webapp import auth

    app = flask.Flask(__name__)
    LoginManager(app).user_loader(lambda _user_id: None)
    with app.test_request_context("/"):
        if who is not None:
            role = "admin" if who.endswith("-admin") else "viewer"
            flask.g.api_user = accounts.User(1, who, role, datetime.now(UTC))
        status = {"id": "j", "task": task, "requested_by": requested_by}
        assert auth.can_see_job(status) is visible
