"""Fixtures for the accounts, admin and API tests: one real gunicorn with known users.

The server runs against the session's private Redis and its own SQLite database; users and
tokens are written straight into that database before it starts (the same functions the CLI
uses), so each test logs in over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from ml.db import make_engine, upgrade_to_head
from ops.redis_server import PrivateRedis
from tests.conftest import WebProcess, service_env
from webapp import accounts

PASSWORD = "correct horse battery"


@dataclass
class Stack:
    """A running web server and what the tests need to talk to it."""

    web: WebProcess
    engine: Engine
    database_url: str
    redis_url: str
    var_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, accounts.User] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.web.url

    def login(self, username: str, password: str = PASSWORD) -> requests.Session:
        session = requests.Session()
        response = session.post(f"{self.url}/auth/login",
                                data={"username": username, "password": password,
                                      "next": "/account"}, timeout=20, allow_redirects=False)
        assert response.status_code == 302, response.text
        assert response.headers["Location"].endswith("/account"), response.headers
        return session

    def api(self, method: str, path: str, who: str | None = "victor",
            **kwargs: object) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers,
                                timeout=30, **kwargs)  # type: ignore[arg-type]


def start_stack(redis_url: str, var_dir: Path, extra_env: dict[str, str] | None = None) -> Stack:
    database_url = f"sqlite:///{var_dir / 'foresight.db'}"
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    users = {
        "alice": accounts.create_user(engine, "alice", PASSWORD, "admin"),
        "victor": accounts.create_user(engine, "victor", PASSWORD, "viewer"),
        "wendy": accounts.create_user(engine, "wendy", PASSWORD, "viewer"),
    }
    tokens = {name: accounts.create_token(engine, user.id, "tests")[1]
              for name, user in users.items()}
    env = service_env(redis_url=redis_url, database_url=database_url, var_dir=var_dir)
    env.update(extra_env or {})
    web = WebProcess(env, var_dir / "web.log", workers=2)
    web.wait_ready()
    return Stack(web, engine, database_url, redis_url, var_dir, tokens, users)


@pytest.fixture(scope="session")
def stack(redis_server: PrivateRedis,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn (2 workers) on the session Redis with admin alice, viewers victor and wendy."""
    stack = start_stack(redis_server.url, tmp_path_factory.mktemp("accounts"),
                        {"FORESIGHT_API_RATE_LIMIT": "400 per minute",
                         "FORESIGHT_API_TOKEN_CACHE_S": "0",
                         "FORESIGHT_LOGIN_RATE_LIMIT": "5 per minute"})
    yield stack
    stack.web.stop()
    stack.engine.dispose()


def fake_model_version(engine: Engine, symbol: str, interval: str = "1d",
                       verdict: str = "no skill",
                       promote: bool = True) -> int:
    """A registry row without a real network (the web process never loads one)."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from ml.db import write_transaction
    from ml.db.schema import model_versions
    from ml.forecast import registry

    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        version = connection.execute(select(func.coalesce(func.max(model_versions.c.version), 0))
                                     .where(model_versions.c.symbol == symbol,
                                            model_versions.c.interval == interval)
                                     ).scalar_one() + 1
        version_id = connection.execute(insert(model_versions).values(
            symbol=symbol, interval=interval, target="returns", version=version, kind="lstm",
            config_json=json.dumps({"kind": "lstm", "epochs": 3}), features_json="[]",
            data_first=now, data_last=now, data_rows=500, data_hash="0" * 64,
            code_version="test", created_at=now, keras_bytes=b"x", keras_sha256="0" * 64,
            state_json="{}", metrics_json=json.dumps({
                "summary": {"verdict": verdict, "skill_horizons": [], "mean_theil_u": 1.01},
                "horizons": {"1": {"model": {"mae": 12.0 - version, "rmse": 15.0,
                                             "theil_u": 1.01,
                                             "directional": {"accuracy": 0.51}},
                                   "baselines": {"random_walk": {"mae": 11.9}},
                                   "coverage": {"0.8": {"coverage": 0.79}}}}}))
                                  ).inserted_primary_key[0]
    if promote:
        registry.promote(engine, int(version_id))
    return int(version_id)


def store_forecast(engine: Engine, redis_url: str, symbol: str, version_id: int,
                   interval: str = "1d", steps: int = 5) -> dict[str, object]:
    """A stored forecast, as a worker would write it (database and Redis)."""
    import pandas as pd
    import redis

    from ml.forecast.store import build_payload, save_forecast

    forecast = {"origin": pd.Timestamp("2018-12-31", tz="UTC").isoformat(),
                "last_close": 2506.85, "target": "returns",
                "horizons": list(range(1, steps + 1)),
                "central": [0.001 * h for h in range(1, steps + 1)],
                "prices": [2506.85 * (1 + 0.001 * h) for h in range(1, steps + 1)],
                "bands": {"0.8": {"lower": [2400.0] * steps, "upper": [2600.0] * steps}}}
    payload = build_payload(symbol, interval, version_id, forecast)
    client = redis.Redis.from_url(redis_url) if redis_url else None
    try:
        save_forecast(engine, payload, client)
    finally:
        if client is not None:
            client.close()
    return payload
