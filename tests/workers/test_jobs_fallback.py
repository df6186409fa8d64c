"""Without Redis (Celery on SQLite): the web job service submits, a worker runs the job with its
job row, and a second training request for a running pair returns the running job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml.db import make_engine, upgrade_to_head
from tests.conftest import WorkerProcess, service_env
from tests.workers.conftest import wait_for
from workers import jobs as job_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def fallback_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from webapp import jobs, services

    database_url = f"sqlite:///{tmp_path / 'foresight.db'}"
    upgrade_to_head(make_engine(database_url))
    env = service_env(redis_url="", database_url=database_url, var_dir=tmp_path)
    for key, value in env.items():
        if key.startswith("FORESIGHT_"):
            monkeypatch.setenv(key, value)
    caches = [services.core_settings, services.worker_settings, services.celery_client,
              services.redis_client]
    for cached in caches:
        cached.cache_clear()
    worker = WorkerProcess(env, tmp_path / "worker.log", name="fallback")
    try:
        worker.wait_ready()
        yield jobs
    finally:
        worker.stop()
        for cached in caches:
            cached.cache_clear()


def test_jobs_run_on_the_sqlite_fallback(fallback_jobs: Any) -> None:
    assert fallback_jobs.jobs_available() is True
    job_id = fallback_jobs.submit("refresh_data", {"symbols": ["sample:GOOG"],
                                                   "interval": "1d"}, "frank")

    def finished() -> dict[str, Any] | None:
        status = fallback_jobs.job_status(job_id)
        return status if status["state"] in job_rows.FINISHED_STATES else None

    status = wait_for(finished, 90, "the fallback job", every_s=0.3)
    assert status["state"] == "SUCCESS", status
    assert status["result"]["refreshed"]["sample:GOOG"]["rows"] > 2000
    assert status["requested_by"] == "frank" and status["attempts"] == 1
    # The lock falls back to the jobs table: a second training of a pair still queued or
    # running gets the first one's id.
    args = {"symbol": "sample:GOOG", "interval": "1d", "config": {"epochs": 1}}
    first = fallback_jobs.submit("train_model", args, "frank")
    assert fallback_jobs.submit("train_model", args, "gina") == first
    assert fallback_jobs.cancel(first) is True
    wait_for(lambda: fallback_jobs.job_status(first)["state"] == "CANCELLED", 90,
             "the cancelled training")
