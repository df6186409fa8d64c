"""Run every benchmark module (``bench/bench_*.py``), print each figure, merge into results.json.

Each module defines ``run() -> dict[str, object]``; keys are prefixed with the module's area
(``web.import_s``, ``data.read_100k_bars_ms`` ...). ``--only AREA`` runs the matching modules
and keeps the other areas' earlier figures in the file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import bench

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def discover(only: list[str] | None) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                   if m.name.startswith("bench_"))
    if only:
        names = [n for n in names if any(n == f"bench_{o}" or n.startswith(f"bench_{o}")
                                         for o in only)]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--only", nargs="*", help="areas to run, e.g. web data")
    args = parser.parse_args(argv)
    existing = json.loads(RESULTS_PATH.read_text()) if RESULTS_PATH.exists() else {}
    figures: dict[str, object] = dict(existing.get("figures", {}))
    failures = 0
    for name in discover(args.only):
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        try:
            result = module.run()
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide others
            print(f"{name}: FAILED {error!r}", file=sys.stderr)
            failures += 1
            continue
        for key, value in result.items():
            figures[key] = value
            print(f"{key:55s} {value}")
        print(f"# {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    payload = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count()},
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": dict(sorted(figures.items())),
    }
    RESULTS_PATH.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS_PATH}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
