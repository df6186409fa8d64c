"""A web server for the page tests: the session's Redis, database and worker, and no way to
the internet (dead proxies), so online symbols must fail gracefully."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WebProcess, WorkerProcess, service_env


@pytest.fixture(scope="session")
def pages_server(worker_services: dict[str, object], celery_worker: WorkerProcess,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    env = service_env(redis_url=str(worker_services["redis_url"]),
                      database_url=str(worker_services["database_url"]),
                      var_dir=Path(str(worker_services["var_dir"])))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["FORESIGHT_YFINANCE_TIMEOUT_S"] = "3"
    web = WebProcess(env, tmp_path_factory.mktemp("logs") / "pages-web.log", workers=2)
    web.wait_ready()
    yield web
    web.stop()
