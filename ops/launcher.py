"""``scripts/run``: start web, worker and beat from the Procfile, with Redis sorted out first.

Redis: ``FORESIGHT_REDIS_URL`` when given; else a private ``redis-server`` under ``var/redis``
(AOF on) that stops with us; else the SQLite fallback engine, said loudly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from honcho.environ import parse_procfile
from honcho.manager import Manager

from ml.db import make_engine, upgrade_to_head
from ml.settings import PROJECT_ROOT, CoreSettings, SettingsError, load_settings
from ops.redis_server import PrivateRedis, RedisUnavailable, port_is_free, redis_server_binary
from webapp.settings import WebSettings
from workers.settings import WorkerSettings

logger = logging.getLogger("foresight.launcher")


class LaunchError(RuntimeError):
    """Something the user must fix before the app can start; printed as one line."""


def check_settings() -> tuple[CoreSettings, WorkerSettings, WebSettings]:
    return load_settings(CoreSettings), load_settings(WorkerSettings), load_settings(WebSettings)


def start_redis(core: CoreSettings, worker: WorkerSettings) -> PrivateRedis | None:
    """Return the private Redis we started, or None when one is given or none can be had."""
    if worker.redis_url:
        logger.info("using Redis at %s", worker.redis_url)
        return None
    if redis_server_binary() is None:
        logger.warning("redis-server is not installed: running in FALLBACK mode (Celery on "
                       "SQLite, cache on the filesystem). Install redis-server for full speed.")
        return None
    port = int(os.environ.get("FORESIGHT_PRIVATE_REDIS_PORT", "0"))
    try:
        server = PrivateRedis(data_dir=core.var_dir / "redis", port=port).start()
    except RedisUnavailable as error:
        logger.warning("private redis-server failed (%s): running in FALLBACK mode", error)
        return None
    os.environ["FORESIGHT_REDIS_URL"] = server.url
    return server


def _get_json(url: str, timeout_s: float) -> dict[str, Any] | None:
    """The JSON answer (also of a 503), or None when nothing answers in time."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as error:
        try:
            return dict(json.load(error))
        except ValueError:
            return {}
    except (OSError, ValueError):
        return None


def announce_when_up(url: str, stop: threading.Event, *, expect_workers: bool,
                     timeout_s: float = 180.0, poll_s: float = 0.25) -> None:
    """Print the URL as soon as the web process answers, then, separately, when workers do.

    The URL waits on ``/livez`` only: ``/healthz`` also waits for the workers' ping, and polling
    it with a short timeout on a loaded machine kept the URL back long after pages were served.
    """
    deadline = time.monotonic() + timeout_s
    while not stop.is_set() and _get_json(f"{url}/livez", timeout_s=5) is None:
        if time.monotonic() >= deadline:
            logger.warning("the web process has not answered %s/livez after %.0f s", url,
                           timeout_s)
            return
        stop.wait(poll_s)
    if stop.is_set():
        return
    print(f"\n  Foresight is running: open {url}\n  (Ctrl+C stops everything)\n", flush=True)
    if not expect_workers:
        return
    while not stop.is_set():
        health = _get_json(f"{url}/healthz", timeout_s=30) or {}
        workers = health.get("components", {}).get("workers", {})
        if workers.get("status") == "ok":
            logger.info("workers are ready (%s): training, backtests and alerts run",
                        workers.get("detail", ""))
            return
        if workers.get("status") == "unknown":
            logger.info("workers cannot be pinged (%s): jobs run once they are up",
                        workers.get("detail", ""))
            return
        if time.monotonic() >= deadline:
            logger.warning("no worker has answered after %.0f s: jobs wait in the queue until "
                           "one does (see the worker's lines above)", timeout_s)
            return
        stop.wait(1.0)


def run(processes: list[str] | None = None) -> int:
    core, worker, web = check_settings()
    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    unknown = sorted(set(processes or []) - set(procfile.processes))
    if unknown:
        raise LaunchError(f"no process named {', '.join(unknown)} in the Procfile (it has "
                          f"{', '.join(procfile.processes)})")
    if not port_is_free(web.port, web.host):
        raise LaunchError(f"port {web.port} on {web.host} is already in use: stop what uses it "
                          f"or set FORESIGHT_PORT to another port")
    core.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(make_engine(core.resolved_database_url()))
    redis = start_redis(core, worker)
    os.environ.setdefault("FORESIGHT_VAR_DIR", str(core.var_dir))
    manager = Manager()
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONUNBUFFERED="1")
    selected = [name for name in procfile.processes if not processes or name in processes]
    for name in selected:
        manager.add_process(name, procfile.processes[name], env=env, cwd=str(PROJECT_ROOT))
    stop = threading.Event()
    url = f"http://{web.host}:{web.port}"
    # gunicorn says "Listening at" while its workers still import the app: say what to wait for.
    logger.info("starting %s; the URL to open is printed below once pages answer",
                ", ".join(selected))
    threading.Thread(target=announce_when_up, args=(url, stop), daemon=True,
                     kwargs={"expect_workers": "worker" in selected}).start()
    try:
        manager.loop()
    finally:
        stop.set()
        if redis is not None:
            redis.stop()
    return int(manager.returncode or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/run", description=__doc__)
    parser.add_argument("processes", nargs="*", help="subset of Procfile processes to run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s launcher: %(message)s",
                        datefmt="%H:%M:%S")
    try:
        return run(args.processes or None)
    except (SettingsError, LaunchError) as error:
        print(f"foresight: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
