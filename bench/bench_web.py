"""Web process start-up: import time and resident memory of ``webapp.app`` in a fresh process."""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, resource, sys, time
started = time.perf_counter()
import webapp.app
elapsed = time.perf_counter() - started
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import_s": elapsed, "rss_mb": rss_mb,
                  "keras_loaded": "keras" in sys.modules}))
"""


def run(repeats: int = 3) -> dict[str, object]:
    return measure_import(repeats) | run_fault_figures()


def measure_import(repeats: int) -> dict[str, object]:
    samples = []
    with tempfile.TemporaryDirectory() as var_dir:
        env = {"FORESIGHT_VAR_DIR": var_dir, "PATH": "/usr/bin:/bin"}
        for _ in range(repeats):
            output = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env,
                                    capture_output=True, text=True, check=True, timeout=120)
            samples.append(json.loads(output.stdout.strip().splitlines()[-1]))
    return {
        "web.import_s_median": round(statistics.median(s["import_s"] for s in samples), 3),
        "web.max_rss_mb_median": round(statistics.median(s["rss_mb"] for s in samples), 1),
        "web.imports_keras": any(s["keras_loaded"] for s in samples),
    }


def _healthz_seconds_with_redis_down(hang: bool) -> tuple[float, int]:
    """How long /healthz takes to say "down" once Redis has gone away (no request may hang)."""
    import time
    import urllib.error
    import urllib.request

    from ml.db import make_engine, upgrade_to_head
    from ops.redis_server import PrivateRedis, free_port

    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp)
        redis = PrivateRedis(data_dir=var_dir / "redis", append_only=False).start()
        database_url = f"sqlite:///{var_dir / 'foresight.db'}"
        upgrade_to_head(make_engine(database_url))
        port = free_port()
        env = {"FORESIGHT_VAR_DIR": str(var_dir), "FORESIGHT_DATABASE_URL": database_url,
               "FORESIGHT_REDIS_URL": redis.url, "PATH": "/usr/bin:/bin"}
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", "webapp.app:server"], cwd=PROJECT_ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            for _ in range(300):
                try:
                    urllib.request.urlopen(url, timeout=5).read()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.1)
            if hang:  # a frozen Redis accepts connections and never answers: the worst case
                assert redis.process is not None
                redis.process.send_signal(signal.SIGSTOP)
            else:
                redis.stop()
            started = time.perf_counter()
            try:
                status = urllib.request.urlopen(url, timeout=30).status
            except urllib.error.HTTPError as error:
                status = error.code
            return time.perf_counter() - started, status
        finally:
            web.terminate()
            web.wait(timeout=30)
            if redis.process is not None:
                redis.process.send_signal(signal.SIGCONT)
            redis.stop()


def run_fault_figures() -> dict[str, object]:
    stopped_s, stopped_status = _healthz_seconds_with_redis_down(hang=False)
    frozen_s, frozen_status = _healthz_seconds_with_redis_down(hang=True)
    return {"web.healthz_with_redis_stopped_s": round(stopped_s, 2),
            "web.healthz_with_redis_stopped_status": stopped_status,
            "web.healthz_with_redis_frozen_s": round(frozen_s, 2),
            "web.healthz_with_redis_frozen_status": frozen_status}
