"""Alert speed: 10,000 active rules over 500 symbols on a new bar (one process), and from a
bar being stored to its webhook arriving through a real Redis, worker and HTTP receiver."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = 500
RULES = 10_000
BARS = 300
CREATED = datetime(2000, 1, 1, tzinfo=UTC)


def run() -> dict[str, object]:
    return evaluation_figures() | latency_figures()


# --- evaluation ------------------------------------------------------------------------------

def _bars_rows(symbol: str, seed: int, start: pd.Timestamp, count: int,
               first_close: float | None = None) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    close = (first_close or 100.0) * np.exp(np.cumsum(rng.normal(0, 0.015, count)))
    ts = (start + pd.to_timedelta(np.arange(count), unit="D")).as_unit("s").asi8
    return [{"symbol": symbol, "interval": "1d", "ts": int(t), "open": c, "high": c * 1.01,
             "low": c * 0.99, "close": c, "volume": 1e6} for t, c in zip(ts, close, strict=True)]


def _rule_mix(close: float, n: int) -> tuple[str, dict[str, Any]]:
    """Twenty kinds of rule per symbol: price levels and crosses, moves, RSI, SMA, EMA, MACD."""
    kind = n % 10
    level = round(close * (0.95 + 0.01 * (n % 11)), 2)
    if kind <= 3:
        condition = ("above", "below", "crosses_up", "crosses_down")[kind]
        return "price", {"condition": condition, "level": level}
    if kind == 4:
        return "price_move", {"percent": 3 + n % 3, "window": 5, "direction": "either"}
    if kind == 5:
        return "indicator", {"left": {"indicator": "rsi", "params": {"period": 14}},
                             "condition": "above" if n % 2 else "below",
                             "level": 70 if n % 2 else 30}
    if kind == 6:
        return "indicator", {"left": "close", "condition": "crosses_up",
                             "right": {"indicator": "sma", "params": {"period": 50}}}
    if kind == 7:
        return "indicator", {"left": "close", "condition": "crosses_down",
                             "right": {"indicator": "ema", "params": {"period": 20}}}
    return "indicator", {"left": {"indicator": "macd", "output": "macd_12_26_9"},
                         "condition": "crosses_up" if kind == 8 else "crosses_down",
                         "right": {"indicator": "macd", "output": "macd_signal_12_26_9"}}


def _seed_database(engine: Engine) -> None:
    from ml.alerts.store import check_rule, create_rule
    from ml.db import write_transaction
    from ml.db.schema import alert_rules, bars, users

    start = pd.Timestamp("2023-01-01", tz="UTC")
    with write_transaction(engine) as connection:
        owner = connection.execute(insert(users).values(
            username="bench", password_hash="!", role="viewer",
            created_at=CREATED)).inserted_primary_key[0]
        for s in range(SYMBOLS):
            connection.execute(insert(bars), _bars_rows(f"S{s:03d}", s, start, BARS))
    # One rule through the validating path; the rest inserted in bulk with the same shape.
    values, errors = check_rule({"symbol": "S000", "interval": "1d", "rule_type": "price",
                                 "params": {"condition": "above", "level": 1},
                                 "channels": ["in_app"]})
    assert values is not None, errors
    create_rule(engine, owner, values, now=CREATED)
    rows = []
    per_symbol = RULES // SYMBOLS
    for s in range(SYMBOLS):
        for n in range(per_symbol):
            rule_type, params = _rule_mix(100.0, n + s)
            rows.append({"owner_id": owner, "name": f"r{s}-{n}", "symbol": f"S{s:03d}",
                         "interval": "1d", "rule_type": rule_type,
                         "params_json": json.dumps(params, sort_keys=True),
                         "channels_json": '["in_app"]', "cooldown_s": 0, "active": True,
                         "one_shot": False, "created_at": CREATED, "updated_at": CREATED})
    with write_transaction(engine) as connection:
        connection.execute(insert(alert_rules), rows[:-1])


def _add_bar(engine: Engine, day: int) -> datetime:
    from ml.db import write_transaction
    from ml.db.schema import bars

    start = pd.Timestamp("2023-01-01", tz="UTC") + pd.Timedelta(days=BARS + day)
    rows = [row for s in range(SYMBOLS)
            for row in _bars_rows(f"S{s:03d}", 10_000 + s + day * 7, start, 1)]
    with write_transaction(engine) as connection:
        connection.execute(insert(bars), rows)
    return (start + pd.Timedelta(days=1)).to_pydatetime()


def evaluation_figures(repeats: int = 3) -> dict[str, object]:
    from ml.alerts.engine import evaluate
    from ml.db import make_engine, upgrade_to_head

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade_to_head(engine)
        _seed_database(engine)
        warm = evaluate(engine, _add_bar(engine, 0))  # first look: sets the watch state
        assert warm.rules == RULES, warm.rules
        samples, cpu, events, errors = [], [], [], []
        for day in range(1, repeats + 1):
            now = _add_bar(engine, day)
            started, cpu_started = time.perf_counter(), time.process_time()
            report = evaluate(engine, now)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            events.append(len(report.events))
            errors += report.errors
            assert report.rules == RULES and report.new_bars == SYMBOLS, report.to_dict()
        engine.dispose()
    return {
        "alerts.evaluate_10k_rules_500_symbols_s_median": round(statistics.median(samples), 3),
        "alerts.evaluate_10k_rules_500_symbols_s_max": round(max(samples), 3),
        # CPU seconds of the evaluating process: what the wall time would be on an idle core.
        "alerts.evaluate_10k_rules_500_symbols_cpu_s_median": round(statistics.median(cpu), 3),
        "alerts.load_average_1min": round(os.getloadavg()[0], 2),
        "alerts.evaluate_events_per_new_bar_median": int(statistics.median(events)),
        "alerts.evaluate_errors": len(errors),
        "alerts.evaluate_target_s": 2.0,
    }


# --- bar stored -> webhook received ----------------------------------------------------------

class _Receiver:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.event = threading.Event()

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.arrivals.append(time.time())
                receiver.event.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return server


def latency_figures(repeats: int = 5) -> dict[str, object]:
    from ml.alerts.store import check_rule, create_rule, save_channel
    from ml.db import make_engine, upgrade_to_head, write_transaction
    from ml.db.schema import bars, users
    from ml.settings import CoreSettings
    from ops.redis_server import PrivateRedis
    from workers.celery_app import create_celery
    from workers.settings import WorkerSettings

    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp)
        redis = PrivateRedis(data_dir=var_dir / "redis", append_only=False).start()
        database_url = f"sqlite:///{var_dir / 'foresight.db'}"
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        receiver = _Receiver()
        server = receiver.serve()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
        env.update({"FORESIGHT_REDIS_URL": redis.url, "FORESIGHT_DATABASE_URL": database_url,
                    "FORESIGHT_VAR_DIR": str(var_dir), "PYTHONPATH": str(PROJECT_ROOT)})
        log = (var_dir / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-Q",
             "default", "-c", "2", "--without-gossip", "--without-mingle", "-n", "bench@%h"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = create_celery(WorkerSettings(redis_url=redis.url),
                               CoreSettings(var_dir=var_dir, database_url=database_url))
        try:
            with write_transaction(engine) as connection:
                owner = connection.execute(insert(users).values(
                    username="bench", password_hash="!", role="viewer",
                    created_at=CREATED)).inserted_primary_key[0]
            port = server.server_address[1]
            save_channel(engine, owner, "webhook", {"url": f"http://127.0.0.1:{port}/hook"})
            values, errors = check_rule({"symbol": "LAT", "interval": "1m", "rule_type": "price",
                                         "params": {"condition": "crosses_up", "level": 100},
                                         "channels": ["webhook"]})
            assert values is not None, errors
            create_rule(engine, owner, values, now=CREATED)
            # Warm-up: the worker imports, opens the database and sends one webhook.
            base = int(time.time()) // 60 * 60 - 60 * (2 * repeats + 4)
            samples = []
            for n in range(repeats + 1):
                for close, offset in ((99.0, 0), (101.0, 60)):
                    ts = base + (2 * n) * 60 + offset
                    receiver.event.clear()
                    stored = time.time()
                    with write_transaction(engine) as connection:
                        connection.execute(insert(bars).values(
                            symbol="LAT", interval="1m", ts=ts, open=close, high=close,
                            low=close, close=close, volume=1.0))
                    client.send_task("workers.alert_tasks.evaluate_series", args=["LAT", "1m"])
                    if close < 100:
                        time.sleep(0.3)  # below the level: nothing to deliver
                        continue
                    if not receiver.event.wait(timeout=120):
                        raise RuntimeError("webhook never arrived: "
                                           + (var_dir / "worker.log").read_text()[-3000:])
                    if n > 0:
                        samples.append(receiver.arrivals[-1] - stored)
        finally:
            client.close()
            worker.terminate()
            worker.wait(timeout=30)
            log.close()
            server.shutdown()
            server.server_close()
            redis.stop()
            engine.dispose()
    return {
        "alerts.bar_stored_to_webhook_s_median": round(statistics.median(samples), 3),
        "alerts.bar_stored_to_webhook_s_max": round(max(samples), 3),
        "alerts.bar_stored_to_webhook_target_s": 5.0,
    }
