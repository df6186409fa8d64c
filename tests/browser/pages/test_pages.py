"""Every page in a real browser at desktop and phone sizes, light and dark; controls work.

Screenshots go to test-artifacts/screenshots/pages-*.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageProblems, open_page, screenshot
from tests.conftest import WebProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXT_COLOUR = {"light": "#212529", "dark": "#dee2e6"}  # webapp.components.theme palettes
MAIN_CHART = {
    "/": ".graph-market .cartesianlayer .trace.boxes",
    "/forecast": ".graph-forecast-fan .cartesianlayer .trace",
    "/risk": ".graph-risk-drawdown .cartesianlayer .trace",
}
GRAPH = {"/": ".graph-market", "/forecast": ".graph-forecast-fan",
         "/risk": ".graph-risk-drawdown"}
TIMEOUT_MS = 45_000


def _plot(page: object, selector: str) -> str:
    return f"document.querySelector('{selector} .js-plotly-plot')"


def _no_sideways_scroll(page: object) -> bool:
    return bool(page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("path", ["/", "/forecast", "/risk", "/data"])
def test_page_renders_in_every_view(browser: object, pages_server: WebProcess, path: str,
                                    view: dict[str, object], problems: PageProblems) -> None:
    theme = str(view["theme"])
    page = open_page(browser, web=pages_server,
                     viewport=view["viewport"], theme=theme,  # type: ignore[arg-type]
                     problems=problems)
    page.goto(pages_server.url + path)
    if path in MAIN_CHART:
        page.wait_for_selector(MAIN_CHART[path], timeout=TIMEOUT_MS)
        plot = _plot(page, GRAPH[path])
        assert page.evaluate(f"{plot}.data.length") > 0
        assert page.evaluate(f"{plot}._fullData[0]._length || {plot}._fullData[0].x.length") > 1
        # The figure wears the page's theme.
        assert page.evaluate(f"{plot}._fullLayout.font.color") == TEXT_COLOUR[theme]
    else:
        page.wait_for_selector(".upload-zone", timeout=TIMEOUT_MS)
        page.wait_for_selector(".cache-table, .data-page .alert", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == theme
    if path == "/":
        # The most recent candles are drawn first, the full history right after.
        page.wait_for_function(f"{_plot(page, '.graph-market')}._fullData[0]._length === 5031",
                               timeout=TIMEOUT_MS)
        assert "Source:" in page.inner_text(".data-status")
        assert "Fetched" in page.inner_text(".data-status")
        assert page.locator(".metric-card").count() == 4
    assert _no_sideways_scroll(page)
    name = "market" if path == "/" else path.strip("/")
    screenshot(page, f"pages-{name}-{view['name']}")
    page.context.close()


def test_market_controls(browser: object, pages_server: WebProcess,
                         problems: PageProblems) -> None:
    page = open_page(browser, web=pages_server,
                     viewport={"width": 1440, "height": 900}, theme="light",
                     problems=problems)
    page.goto(pages_server.url + "/?symbol=sample:GOOG&interval=1d&ind=rsi:period=7")
    page.wait_for_selector(MAIN_CHART["/"], timeout=TIMEOUT_MS)
    assert page.input_value("#market-symbol") == "sample:GOOG"
    assert page.inner_text("#market-ind-chips").strip().startswith("RSI(7)")
    plot = _plot(page, ".graph-market")

    # Change symbol from the watchlist: chart, status line and address bar follow.
    page.click("text=sample:EURUSD")
    page.wait_for_function("document.querySelector('.data-status').innerText"
                           ".includes('sample:EURUSD')", timeout=TIMEOUT_MS)
    page.wait_for_function("window.location.search.includes('symbol=sample%3AEURUSD')")

    # Add an indicator with a parameter: a new panel appears and the URL records it.
    panels_before = page.evaluate(f"Object.keys({plot}.layout).filter(k => "
                                  "k.startsWith('yaxis')).length")
    page.select_option("#market-ind-pick", "macd")
    # The parameter fields are re-rendered by a callback: fill MACD's own field, once it is
    # there (filling "the first input" raced it and typed into the old EMA field under load).
    fast = "#market-ind-params input[id*='\"fast\"']"
    page.wait_for_selector(fast, timeout=TIMEOUT_MS)
    page.fill(fast, "8")
    page.click("#market-ind-add")
    page.wait_for_function("document.querySelector('#market-ind-chips').innerText"
                           ".includes('MACD(8, 26, 9)')", timeout=TIMEOUT_MS)
    page.wait_for_function(f"Object.keys({plot}.layout).filter(k => k.startsWith('yaxis'))"
                           f".length > {panels_before}", timeout=TIMEOUT_MS)
    assert "macd%3Afast%3D8" in page.evaluate("window.location.search")

    # Theme switch: the chart is re-templated in the browser, data kept.
    traces = page.evaluate(f"{plot}.data.length")
    page.click("label[for='theme-switch']")
    page.wait_for_function(f"{plot}._fullLayout.font.color === '{TEXT_COLOUR['dark']}'")
    assert page.evaluate(f"{plot}.data.length") == traces

    # Unknown symbol and an online symbol with no network: banners, no traceback.
    page.fill("#market-symbol", "sample:NOPE")
    page.press("#market-symbol", "Enter")
    page.wait_for_selector("[data-kind='unknown-symbol']", timeout=TIMEOUT_MS)
    page.fill("#market-symbol", "AAPL")
    page.press("#market-symbol", "Enter")
    page.wait_for_selector("[data-kind='no-network']", timeout=TIMEOUT_MS)
    assert "Traceback" not in page.content()
    screenshot(page, "pages-market-offline-banner")
    page.context.close()


def test_replay_and_multi_timeframe(browser: object, pages_server: WebProcess,
                                    problems: PageProblems) -> None:
    page = open_page(browser, web=pages_server,
                     viewport={"width": 1440, "height": 900}, theme="dark",
                     problems=problems)
    page.goto(pages_server.url + "/?symbol=sample:EURUSD&interval=4h&ind=ema:period=20")
    page.wait_for_selector(MAIN_CHART["/"], timeout=TIMEOUT_MS)
    plot = _plot(page, ".graph-market")
    page.click("#market-replay-toggle")
    page.wait_for_function("document.querySelector('#market-replay-status').innerText"
                           ".startsWith('Replay: bar')", timeout=TIMEOUT_MS)
    shown = page.evaluate(f"{plot}.data[0].x.length")
    page.wait_for_function(f"{plot}.data[0].x.length > {shown}", timeout=TIMEOUT_MS)
    page.click("#market-replay-toggle")  # pause
    screenshot(page, "pages-market-replay-desktop-dark")

    # Live updates append bars to the typed arrays drawn (what the live clock sends).
    page.goto(pages_server.url + "/?symbol=sample:EURUSD&interval=1d&ind=sma:period=20")
    page.wait_for_selector(MAIN_CHART["/"], timeout=TIMEOUT_MS)
    plot = _plot(page, ".graph-market")
    before = page.evaluate(f"{plot}._fullData[0]._length")
    page.evaluate("""() => {
      const t = Date.UTC(2018, 1, 8);
      window.dash_clientside.set_props('market-live', {data: {bars: 1, last: '2018-02-08',
        groups: [{indices: [0], data: {x: [[t]], open: [[1.22]], high: [[1.23]], low: [[1.21]],
                                       close: [[1.225]]}},
                 {indices: [1, 2], data: {x: [[t], [t]], y: [[1e6], [1.2]]}}]}});
    }""")
    page.wait_for_function(f"{plot}._fullData[0]._length === {before + 1}", timeout=TIMEOUT_MS)
    assert page.evaluate(f"{plot}.data[2].y.length") == before + 1

    page.goto(pages_server.url + "/?symbol=sample:EURUSD&interval=4h")
    page.wait_for_selector(MAIN_CHART["/"], timeout=TIMEOUT_MS)
    page.click("text=Multi-timeframe")
    for n in range(3):
        page.wait_for_selector(f".graph-mtf-{n} .cartesianlayer .trace", timeout=TIMEOUT_MS)
    first, second = _plot(page, ".graph-mtf-0"), _plot(page, ".graph-mtf-1")
    page.evaluate(f"Plotly.relayout({first}, {{'xaxis.range[0]': '2017-10-01', "
                  "'xaxis.range[1]': '2017-11-01'})")
    page.wait_for_function(f"String({second}.layout.xaxis.range[0]).startsWith('2017-10-01')",
                           timeout=TIMEOUT_MS)
    screenshot(page, "pages-market-mtf-desktop-dark")
    page.context.close()


BAD_CSV = b"date,open,high,low,close\n2024-01-02,1,2,0.5,abc\n2024-01-03,1.5,2,1,1.8\n"


def _good_csv(rows: int = 80) -> bytes:
    from tests.conftest import make_ohlcv

    return make_ohlcv(rows, seed=5).rename_axis("date").to_csv().encode()


def test_upload_csv_and_backtest_button(browser: object, pages_server: WebProcess,
                                        problems: PageProblems) -> None:
    page = open_page(browser, web=pages_server,
                     viewport={"width": 390, "height": 844}, theme="light",
                     problems=problems)
    page.goto(pages_server.url + "/data")
    page.wait_for_selector(".upload-zone", timeout=TIMEOUT_MS)
    upload = ".upload-zone input[type=file]"
    page.set_input_files(upload, files=[{"name": "bad.csv", "mimeType": "text/csv",
                                         "buffer": BAD_CSV}])
    page.wait_for_selector(".import-error", timeout=TIMEOUT_MS)
    message = page.inner_text(".import-error")
    assert "bad.csv was not imported" in message and "'close'" in message
    screenshot(page, "pages-data-bad-csv-phone-light")

    page.fill("#data-upload-name", "tiny")
    page.set_input_files(upload, files=[{"name": "tiny.csv", "mimeType": "text/csv",
                                         "buffer": _good_csv()}])
    page.wait_for_selector(".import-report[data-symbol='csv:tiny']", timeout=TIMEOUT_MS)
    page.wait_for_selector(".cache-table >> text=csv:tiny", timeout=TIMEOUT_MS)
    assert _no_sideways_scroll(page)

    # A backtest of 80 bars is refused by the worker quickly: progress, then the outcome.
    page.goto(pages_server.url + "/forecast?symbol=csv:tiny&interval=1d")
    page.wait_for_selector(MAIN_CHART["/forecast"], timeout=TIMEOUT_MS)
    page.click("#forecast-backtest")
    page.wait_for_selector(".job-status, [data-kind='job-failed'], [data-kind='job-done']",
                           timeout=TIMEOUT_MS)
    page.wait_for_selector("[data-kind='job-failed'], [data-kind='job-done']",
                           timeout=90_000)
    screenshot(page, "pages-forecast-backtest-phone-light")
    page.context.close()
