"""Job layer speed with a private Redis and one real worker process (prefork, concurrency 1).

* ``jobs.start_latency_ms_*``: from ``send_task`` in the client to the task body starting on an
  idle worker (the task reports its start time; same machine, same clock). Target: median at
  most 50 ms.
* ``jobs.small_task_throughput_per_s``: tasks that do nothing, sent in a burst, run to the
  last result; ``jobs.job_task_throughput_per_s``: the same with job tasks (``check_alerts``:
  job row written at start and end, the real per-task overhead of our tasks).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LATENCY_SAMPLES = 200
BURST = 500
JOB_BURST = 200


def run() -> dict[str, object]:
    from ml.db import make_engine, upgrade_to_head
    from ml.settings import CoreSettings
    from ops.redis_server import PrivateRedis
    from workers.celery_app import create_celery
    from workers.settings import WorkerSettings
    from workers.submit import submit_job

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        redis_server = PrivateRedis(data_dir=root / "redis", append_only=False).start()
        database_url = f"sqlite:///{root / 'foresight.db'}"
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        worker = _start_worker(redis_server.url, database_url, root)
        app = create_celery(WorkerSettings(redis_url=redis_server.url),
                            CoreSettings(var_dir=root, database_url=database_url))
        try:
            for _ in range(20):  # warm up: connections, pool process, first imports
                app.send_task("workers.tasks.started_at", args=[time.time()]).get(timeout=30)
            latencies = []
            for _ in range(LATENCY_SAMPLES):
                time.sleep(0.01)  # the worker is idle again
                sent = time.time()
                reply = app.send_task("workers.tasks.started_at", args=[sent]).get(timeout=30)
                latencies.append((reply["started_at"] - sent) * 1000)
            small = _burst(lambda: app.send_task("workers.tasks.started_at",
                                                 args=[time.time()]), BURST)
            import redis

            client = redis.Redis.from_url(redis_server.url)

            def send_job():  # type: ignore[no-untyped-def]
                job_id = submit_job(app, engine, client, "check_alerts", {}, "bench",
                                    lock_ttl_s=60).job_id
                return app.AsyncResult(job_id)

            jobs_rate = _burst(send_job, JOB_BURST)
        finally:
            app.close()
            worker.terminate()
            worker.wait(timeout=30)
            redis_server.stop()
            engine.dispose()
    ordered = sorted(latencies)
    return {
        # The machine is shared: the load says how much to trust the figures below.
        "jobs.load_average_1min": round(os.getloadavg()[0], 2),
        "jobs.start_latency_ms_median": round(statistics.median(latencies), 2),
        "jobs.start_latency_ms_p90": round(ordered[int(0.9 * len(ordered))], 2),
        "jobs.start_latency_ms_max": round(ordered[-1], 2),
        "jobs.start_latency_samples": len(latencies),
        "jobs.small_task_throughput_per_s": round(small, 1),
        "jobs.job_task_throughput_per_s": round(jobs_rate, 1),
        "jobs.worker": "prefork, concurrency 1, Redis broker and backend, SQLite job rows",
    }


def _burst(send, count: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    results = [send() for _ in range(count)]
    for result in results:
        result.get(timeout=120)
    return count / (time.perf_counter() - started)


def _start_worker(redis_url: str, database_url: str, root: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
    env.update({"FORESIGHT_REDIS_URL": redis_url, "FORESIGHT_DATABASE_URL": database_url,
                "FORESIGHT_VAR_DIR": str(root), "PYTHONPATH": str(PROJECT_ROOT),
                "KERAS_BACKEND": "jax"})
    log_path = root / "worker.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel",
         "WARNING", "-Q", "default,training", "-c", "1", "-n", "bench@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    from celery import Celery

    probe = Celery(broker=f"{redis_url}/0", backend=f"{redis_url}/0")
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited: {log_path.read_text()[-2000:]}")
            if probe.control.ping(timeout=0.5):
                return process
        raise RuntimeError("worker did not answer a ping within 60 s")
    finally:
        probe.close()
