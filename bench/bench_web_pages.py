"""Market page speed: the main callback's server time (cold and cached), its figure size, and
the time from navigation to a drawn chart in headless Chromium.

The workload is the issue's: sample:SPX daily (5,031 candles) with 3 overlays (SMA 50, EMA 20,
Bollinger 20/2) and 2 oscillator panels (RSI 14, MACD). Everything runs in fresh processes in
fallback mode (filesystem web cache, SQLite) on a temporary var dir; the data layer's bars are
cached in the database first, so "cold" means an empty web cache (indicators and figure built).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOKENS = ["sma:period=50", "ema:period=20", "bbands:period=20:stddev=2", "rsi:period=14",
          "macd:fast=12:slow=26:signal=9"]
SYMBOL, INTERVAL = "sample:SPX", "1d"

PROBE = """
import json, shutil, statistics, sys, time
from pathlib import Path
import webapp.app as web
from webapp import services
from ml.data import load_bars

tokens = json.loads(sys.argv[1])
symbol, interval = sys.argv[2], sys.argv[3]
bars = load_bars(symbol, interval, engine=services.database()).bars  # into the data cache
client = web.server.test_client()
client.get("/_dash-dependencies")  # Dash moves page callbacks into its map on first request
key = next(k for k in web.app.callback_map if "market-plan.data" in k)
outputs = []
for part in key.strip(".").split("..."):
    ident, prop = part.rsplit(".", 1)
    outputs.append({"id": json.loads(ident) if ident.startswith("{") else ident,
                    "property": prop})
body = {"output": key, "outputs": outputs,
        "inputs": [{"id": "market-symbol", "property": "value", "value": symbol},
                   {"id": "market-interval", "property": "value", "value": interval},
                   {"id": "market-ind-active", "property": "data", "value": tokens}],
        "changedPropIds": ["market-symbol.value"], "state": []}
cache_dir = Path(sys.argv[4]) / "cache" / "web"

def call():
    started = time.perf_counter()
    response = client.post("/_dash-update-component", json=body)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.data[:500]
    return elapsed, response.get_data()

call()  # first request: Dash's lazy set-up, imports; not counted
cold, cached = [], []
for _ in range(5):
    shutil.rmtree(cache_dir, ignore_errors=True)
    web.server.extensions.pop("foresight_cache", None)
    elapsed, data = call()
    cold.append(elapsed)
    for _ in range(5):
        cached.append(call()[0])
payload = json.loads(data)["response"]
figure_key = next(k for k in payload if "fig-data" in k)
figure_bytes = len(json.dumps(payload[figure_key]["data"], separators=(",", ":")))
print(json.dumps({"cold_ms": statistics.median(cold), "cached_ms": statistics.median(cached),
                  "cold_all": cold, "figure_bytes": figure_bytes, "candles": len(bars),
                  "traces": len(payload[figure_key]["data"]["figure"]["data"])}))
"""


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
    env.update({"FORESIGHT_VAR_DIR": str(var_dir), "PYTHONPATH": str(PROJECT_ROOT),
                "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    return env


def server_times(var_dir: Path) -> dict[str, object]:
    output = subprocess.run([sys.executable, "-c", PROBE, json.dumps(TOKENS), SYMBOL, INTERVAL,
                             str(var_dir)], cwd=PROJECT_ROOT, env=_env(var_dir),
                            capture_output=True, text=True, timeout=300)
    if output.returncode != 0:
        raise RuntimeError(output.stderr[-2000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    from ops.redis_server import free_port

    return free_port()


def browser_times(var_dir: Path, repeats: int = 3) -> dict[str, float]:
    """Navigation -> candles drawn, in a fresh browser context each time (no HTTP cache).

    "chart" is the first paint (the most recent 600 candles, which hold the first view);
    "full" is when all 5,031 candles are in the chart.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    port = _free_port()
    log = (var_dir / "web.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--threads", "4", "webapp.app:server"],
                              cwd=PROJECT_ROOT, env=_env(var_dir), stdout=log,
                              stderr=subprocess.STDOUT)
    query = f"?symbol={SYMBOL}&interval={INTERVAL}&ind={','.join(TOKENS)}"
    url = f"http://127.0.0.1:{port}/{query}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        samples, full_samples = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(),
                                                 args=CHROMIUM_ARGS)
            for attempt in range(repeats + 1):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(url)
                page.wait_for_selector(".graph-market .cartesianlayer .trace.boxes",
                                       timeout=60_000)
                elapsed = time.perf_counter() - started
                page.wait_for_function(
                    "document.querySelector('.graph-market .js-plotly-plot')"
                    "._fullData[0]._length >= 5000", timeout=60_000)
                full = time.perf_counter() - started
                if attempt:  # the first visit warms the server (web cache, imports)
                    samples.append(elapsed)
                    full_samples.append(full)
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    return {"median": statistics.median(samples), "max": max(samples),
            "full_median": statistics.median(full_samples)}


def run() -> dict[str, object]:
    var_dir = Path(tempfile.mkdtemp(prefix="bench-web-pages-"))
    try:
        server = server_times(var_dir)
        browser = browser_times(var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return {
        "webpages.market_callback_cold_ms_median": round(server["cold_ms"], 1),
        "webpages.market_callback_cached_ms_median": round(server["cached_ms"], 1),
        "webpages.market_figure_json_bytes": server["figure_bytes"],
        "webpages.market_candles": server["candles"],
        "webpages.market_traces": server["traces"],
        "webpages.time_to_chart_s_median": round(browser["median"], 3),
        "webpages.time_to_chart_s_max": round(browser["max"], 3),
        "webpages.time_to_full_history_s_median": round(browser["full_median"], 3),
        "webpages.load_average_1min": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
