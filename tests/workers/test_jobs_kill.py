"""Kill -9 a worker in the middle of a training: the task is delivered again, completes on a
second worker, and the registry holds exactly one new version."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT
from tests.workers.conftest import (
    LIMITS as DEFAULT_LIMITS,
    TINY_CONFIG,
    JobsStack,
    job_row,
    kill_tree,
    version_count,
    wait_for,
)
from workers import jobs as job_rows
from workers.submit import submit_job

pytestmark = pytest.mark.slow
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "jobs"

# Redis hands the unacked task to another worker once the visibility timeout (hard limit +
# margin = 47 s here) has passed since its delivery. The limits leave room for a cold JAX
# compile on a busy machine (this module runs after test_jobs_behaviour warmed the cache).
LIMITS = dict(DEFAULT_LIMITS, FORESIGHT_TASK_SOFT_TIME_LIMIT_S="40",
              FORESIGHT_TASK_TIME_LIMIT_S="45", FORESIGHT_VISIBILITY_MARGIN_S="2")


def test_killed_worker_training_is_redelivered_and_registered_once(
        stack: JobsStack, client: Any) -> None:
    symbol = "sample:EURUSD"
    first = stack.worker("doomed", queues="training")
    config = dict(TINY_CONFIG, epochs=30, batch_size=32)
    try:
        import redis

        with redis.Redis.from_url(stack.redis.url) as connection:
            job_id = submit_job(client, stack.engine, connection, "train_model",
                                {"symbol": symbol, "interval": "1h", "config": config},
                                "test", lock_ttl_s=60).job_id
        def under_way() -> bool:
            row = job_row(stack, job_id)
            assert row["state"] not in job_rows.FINISHED_STATES, (row, first.log()[-3000:])
            return bool((row["progress"] or {}).get("epoch"))

        wait_for(under_way, 180, "training to be under way")
        at_kill = job_row(stack, job_id)
        killed = kill_tree(first.process.pid)
        killed_at = time.monotonic()
        first.process.wait()
    finally:
        first.stop()
    assert at_kill["state"] == "PROGRESS" and at_kill["attempts"] == 1
    assert version_count(stack, symbol) == 0
    second = stack.worker("rescuer", queues="training")
    try:
        row = wait_for(lambda: job_row(stack, job_id)["state"] in job_rows.FINISHED_STATES
                       and job_row(stack, job_id), 180, "the redelivered job", every_s=0.2)
    finally:
        second.stop()
    recovered_s = time.monotonic() - killed_at
    assert row["state"] == "SUCCESS", row
    assert row["attempts"] == 2
    assert row["worker"].startswith("rescuer@")
    assert version_count(stack, symbol) == 1
    assert job_id in second.log()
    _keep_excerpt(job_id, at_kill, killed, recovered_s, row, first.log(), second.log())


def _keep_excerpt(job_id: str, at_kill: dict[str, Any], killed: list[int], recovered_s: float,
                  row: dict[str, Any], first_log: str, second_log: str) -> None:
    """The kill test's log, for docs/jobs.md (test-artifacts/ is not committed)."""
    def mentions(log: str) -> list[str]:
        keep = (job_id, "ready.", "Restoring", "registered", "Task ")
        return [line for line in log.splitlines() if any(k in line for k in keep)]

    lines = ["# worker 'doomed' (killed with SIGKILL, pids " + ", ".join(map(str, killed)) + ")",
             *mentions(first_log),
             f"# job row at the kill: state={at_kill['state']} attempts={at_kill['attempts']} "
             f"progress={json.dumps(at_kill['progress'])}",
             "# worker 'rescuer' (started after the kill)", *mentions(second_log),
             f"# job row at the end: state={row['state']} attempts={row['attempts']} "
             f"worker={row['worker']} result={json.dumps(row['result'])}",
             f"# recovered {recovered_s:.1f} s after the kill"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "kill-test.log").write_text("\n".join(lines) + "\n")
