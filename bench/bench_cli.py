"""Start-up time of the command line: ``python -m ml --help`` and ``python -m ml models`` (an
empty registry), median of 5 fresh processes each. Goal: under 1 s on the 2-core machine."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def _median_s(argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ml", *argv], cwd=PROJECT_ROOT, env=env,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as var_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
        env.update(FORESIGHT_VAR_DIR=var_dir)
        subprocess.run([sys.executable, "-m", "ml", "db", "upgrade"], cwd=PROJECT_ROOT,
                       env=env, check=True, capture_output=True)  # a migrated, empty database
        return {"cli.help_median_s": _median_s(["--help"], env),
                "cli.models_median_s": _median_s(["models"], env),
                "cli.load_average_1m": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    print(run())
