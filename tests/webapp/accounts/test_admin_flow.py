"""The whole admin story through the settings page's own callbacks, with a real worker:
log in, train a model, follow its progress to the end, train again, promote a version."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from ml.data import load_bars
from ml.db.schema import active_models, jobs
from ops.redis_server import PrivateRedis
from tests.conftest import WorkerProcess, service_env
from tests.webapp.accounts.conftest import Stack, start_stack
from tests.webapp.accounts.test_admin_callbacks import DISPATCH, admin_callbacks, callback_body

pytestmark = pytest.mark.slow
TINY = {"epochs": 3, "window_length": 10, "units": 4, "layers": 1, "batch_size": 256,
        "horizon": 2, "early_stopping_patience": 50}


@pytest.fixture(scope="module")
def trained_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Any]]:
    """Its own Redis, web and worker, so no other test's worker takes these jobs."""
    var_dir = tmp_path_factory.mktemp("admin-flow")
    redis = PrivateRedis(data_dir=var_dir / "redis", append_only=False).start()
    stack = start_stack(redis.url, var_dir, {"FORESIGHT_API_TOKEN_CACHE_S": "0"})
    load_bars("sample:SPX", "1d", engine=stack.engine)
    env = service_env(redis_url=redis.url, database_url=stack.database_url, var_dir=var_dir)
    worker = WorkerProcess(env, var_dir / "worker.log", name="admin-flow")
    try:
        worker.wait_ready()
        yield stack, worker
    finally:
        worker.stop()
        stack.web.stop()
        stack.engine.dispose()
        redis.stop()


def _post(session: requests.Session, stack: Stack, body: dict[str, Any]) -> str:
    response = session.post(f"{stack.url}{DISPATCH}", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def _train(session: requests.Session, stack: Stack, by_output: dict[str, Any]) -> str:
    values = {("admin-train-param", "value"): None}
    body = callback_body(by_output["admin-train-result.children"], values)
    body["state"][4] = [{"id": {"type": "admin-train-param", "name": name},
                         "property": "value", "value": value} for name, value in TINY.items()]
    body["state"][5] = [{"id": {"type": "admin-train-param", "name": name},
                         "property": "id", "value": {"type": "admin-train-param", "name": name}}
                        for name in TINY]
    text = _post(session, stack, body)
    assert "Queued 1 training" in text, text
    with stack.engine.connect() as connection:
        return str(connection.execute(select(jobs.c.id).order_by(
            jobs.c.created_at.desc())).first()[0])


def _follow(session: requests.Session, stack: Stack, by_output: dict[str, Any],
            job_id: str, worker: WorkerProcess) -> tuple[list[str], list[Any]]:
    """Poll the job the way the page does (the curve store goes back each time) until it
    finishes; the progress labels seen and the longest loss curve drawn."""
    output = next(o for o in by_output if "admin-job-detail" in o)
    seen: list[str] = []
    curve: dict[str, Any] = {"job": None, "points": []}
    longest: list[Any] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        text = _post(session, stack, callback_body(by_output[output], {
            ("admin-job-selected", "data"): job_id, ("admin-job-curve", "data"): curve}))
        seen += [f"{a}/{b}" for a, b in re.findall(r'"label":"(\d+)\\u002f(\d+)"', text)]
        curve = json.loads(text)["response"]["admin-job-curve"]["data"]
        longest = max(longest, curve["points"], key=len)
        if '"children":"SUCCESS"' in text:
            return seen, longest
        assert '"children":"FAILURE"' not in text, text + worker.log()[-3000:]
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish:\n{worker.log()[-3000:]}")


def _active(stack: Stack) -> int | None:
    with stack.engine.connect() as connection:
        row = connection.execute(select(active_models.c.version_id).where(
            active_models.c.symbol == "sample:SPX")).first()
    return None if row is None else int(row[0])


def test_an_admin_trains_follows_and_promotes_from_the_settings_page(
        trained_stack: tuple[Stack, WorkerProcess]) -> None:
    stack, worker = trained_stack
    admin = stack.login("alice")
    by_output = {d["output"]: d for d in admin_callbacks(stack)}
    first_job = _train(admin, stack, by_output)
    labels, curve = _follow(admin, stack, by_output, first_job, worker)
    assert labels and labels[-1] == "3/3", labels
    assert curve and all(point[1] > 0 for point in curve), curve  # epoch, loss, val_loss
    first_version = _active(stack)
    assert first_version is not None  # the first model of a pair becomes active
    second_job = _train(admin, stack, by_output)
    _follow(admin, stack, by_output, second_job, worker)
    from ml.forecast.registry import list_versions

    versions = [v.id for v in list_versions(stack.engine, "sample:SPX", "1d")]
    assert len(versions) == 2
    other = next(v for v in versions if v != _active(stack))
    text = _post(admin, stack, callback_body(
        by_output["admin-models-message.children"],
        {("admin-confirm-action", "data"): {"action": "promote", "version_id": other}}))
    assert "is now active" in text, text
    assert _active(stack) == other
    # A viewer can do none of it.
    viewer = stack.login("victor")
    refused = viewer.post(f"{stack.url}{DISPATCH}", timeout=30, json=callback_body(
        by_output["admin-models-message.children"],
        {("admin-confirm-action", "data"): {"action": "promote", "version_id": versions[0]}}))
    assert refused.status_code == 403 and _active(stack) == other
