"""``scripts/run``: start web, worker and beat from the Procfile, with Redis sorted out first.

Redis: ``FORESIGHT_REDIS_URL`` when given; else a private ``redis-server`` under ``var/redis``
(AOF on) that stops with us; else the SQLite fallback engine, said loudly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

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


def announce_when_up(url: str, stop: threading.Event, timeout_s: float = 120.0) -> None:
    """Print the URL to open once the web process answers."""
    deadline = time.monotonic() + timeout_s
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # answered, just not healthy yet: the page still opens
        except OSError:
            time.sleep(0.5)
            continue
        print(f"\n  Foresight is running: open {url}\n  (Ctrl+C stops everything)\n",
              flush=True)
        return


def run(processes: list[str] | None = None) -> int:
    core, worker, web = check_settings()
    if not port_is_free(web.port, web.host):
        raise LaunchError(f"port {web.port} on {web.host} is already in use: stop what uses it "
                          f"or set FORESIGHT_PORT to another port")
    core.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(make_engine(core.resolved_database_url()))
    redis = start_redis(core, worker)
    os.environ.setdefault("FORESIGHT_VAR_DIR", str(core.var_dir))
    manager = Manager()
    procfile = parse_procfile((PROJECT_ROOT / "Procfile").read_text())
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONUNBUFFERED="1")
    for name, process in procfile.processes.items():
        if processes and name not in processes:
            continue
        manager.add_process(name, process, env=env, cwd=str(PROJECT_ROOT))
    stop = threading.Event()
    url = f"http://{web.host}:{web.port}"
    threading.Thread(target=announce_when_up, args=(url, stop), daemon=True).start()
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
