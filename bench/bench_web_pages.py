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


# The app as installed (partial plotly.js when scripts/build-plotly built it), and the same app
# made to serve the full plotly.js, as it does where npm is missing.
SERVERS = {"": {}, "full_plotly": {"FORESIGHT_PLOTLY_BUNDLE": "/nonexistent/plotly.min.js"}}


CHART = ".graph-market .cartesianlayer .trace.boxes"
# Page clock: the first frame after the candles entered the DOM, in ms from navigation start.
MARK_CHART = """(() => new MutationObserver((_, observer) => {
  if (!document.querySelector('CHART')) return;
  observer.disconnect();
  requestAnimationFrame(() => { window.__chartDrawnAt = performance.now(); });
}).observe(document, {subtree: true, childList: true}))()""".replace("CHART", CHART)


def browser_times(var_dir: Path, repeats: int = 9) -> dict[str, dict[str, float]]:
    """Navigation -> candles drawn, in a fresh browser context each time (no HTTP cache).

    "chart" is the first paint (the most recent 320 candles, which hold the first view), timed
    by the page's own clock from navigation start; "wall" is the same moment seen from the
    test driver, from the ``goto`` call to Playwright noticing the candles: later, because the
    full history is drawn right after the first paint in one long task and the driver's answer
    waits for it. "full" is
    when all 5,031 candles are in the chart (driver's clock). Visits to the servers alternate,
    so a busy moment of the machine hits both alike.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
    from tests.conftest import WebProcess

    query = f"?symbol={SYMBOL}&interval={INTERVAL}&ind={','.join(TOKENS)}"
    servers: dict[str, WebProcess] = {}
    samples: dict[str, list[float]] = {name: [] for name in SERVERS}
    wall_samples: dict[str, list[float]] = {name: [] for name in SERVERS}
    full_samples: dict[str, list[float]] = {name: [] for name in SERVERS}
    try:
        for name, env in SERVERS.items():
            servers[name] = WebProcess({**_env(var_dir), **env},
                                       var_dir / f"web-{name or 'app'}.log")
        for server in servers.values():
            server.wait_ready()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(),
                                                 args=CHROMIUM_ARGS)
            for attempt in range(repeats + 1):
                for name, server in servers.items():
                    context = browser.new_context(viewport={"width": 1440, "height": 900})
                    page = context.new_page()
                    page.add_init_script(MARK_CHART)
                    started = time.perf_counter()
                    page.goto(f"{server.url}/{query}")
                    page.wait_for_selector(CHART, timeout=60_000)
                    wall = time.perf_counter() - started
                    page.wait_for_function(
                        "document.querySelector('.graph-market .js-plotly-plot')"
                        "._fullData[0]._length >= 5000", timeout=60_000)
                    full = time.perf_counter() - started
                    page.wait_for_function("window.__chartDrawnAt !== undefined")
                    drawn_ms = page.evaluate("window.__chartDrawnAt")
                    if attempt:  # the first visit warms the server (web cache, imports)
                        samples[name].append(drawn_ms / 1000)
                        wall_samples[name].append(wall)
                        full_samples[name].append(full)
                    context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return {name: {"median": statistics.median(samples[name]), "max": max(samples[name]),
                   "wall_median": statistics.median(wall_samples[name]),
                   "full_median": statistics.median(full_samples[name])}
            for name in SERVERS}


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
        **{f"webpages.time_to_chart{'_' + name if name else ''}_s_median":
           round(times["median"], 3) for name, times in browser.items()},
        **{f"webpages.time_to_chart{'_' + name if name else ''}_s_max":
           round(times["max"], 3) for name, times in browser.items()},
        **{f"webpages.time_to_chart_wall{'_' + name if name else ''}_s_median":
           round(times["wall_median"], 3) for name, times in browser.items()},
        **{f"webpages.time_to_full_history{'_' + name if name else ''}_s_median":
           round(times["full_median"], 3) for name, times in browser.items()},
        "webpages.plotly_bundle": _bundle_name(),
        "webpages.load_average_1min": round(os.getloadavg()[0], 2),
    }


def _bundle_name() -> str:
    from webapp.vendor import find_plotly_bundle

    bundle = find_plotly_bundle()
    return f"partial {bundle.version}: {' '.join(bundle.traces)}" if bundle else "full"


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
