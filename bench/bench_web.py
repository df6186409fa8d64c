"""Web process start-up: import time and resident memory of ``webapp.app`` in a fresh process."""

from __future__ import annotations

import json
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
