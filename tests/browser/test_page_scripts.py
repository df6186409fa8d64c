"""In a real browser: the pages run on native built-ins (not the polyfill's), load the partial
plotly.js instead of the full one, and draw the market chart without an automargin redraw."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import PageProblems, open_page
from tests.conftest import WebProcess
from webapp.vendor import DEFAULT_PLOTLY_BUNDLE, find_plotly_bundle, plotlyjs_version

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHART = ".graph-market .cartesianlayer .trace.boxes"
PLOT = "document.querySelector('.graph-market .js-plotly-plot')"


@pytest.fixture
def bundle_built() -> None:
    if find_plotly_bundle(DEFAULT_PLOTLY_BUNDLE) is not None:
        return
    if shutil.which("npm"):
        pytest.fail(f"npm is here but no partial plotly.js at {DEFAULT_PLOTLY_BUNDLE}: "
                    "scripts/build-plotly should have built it (scripts/bootstrap runs it)")
    pytest.skip("npm is not installed, so the partial plotly.js cannot be built")


def test_pages_load_the_partial_plotly_and_run_on_native_builtins(
        browser: object, web_server: WebProcess, problems: PageProblems,
        bundle_built: None) -> None:
    page = open_page(browser, web=web_server,
                     viewport={"width": 1440, "height": 900}, theme="light",
                     problems=problems)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))  # type: ignore[attr-defined]
    page.goto(web_server.url + "/")  # type: ignore[attr-defined]
    page.wait_for_selector(CHART, timeout=45_000)  # type: ignore[attr-defined]
    assert any("/vendor/plotly/plotly-" in url for url in requested)
    assert not any("package_data/plotly.min.js" in url for url in requested), \
        "the full plotly.js was fetched although the partial bundle was on the page"
    assert page.evaluate("Plotly.version") == plotlyjs_version()  # type: ignore[attr-defined]
    # Native code again: Function.prototype.toString itself is native, so a JavaScript
    # replacement of trim or parseInt would show its source here.
    for builtin in ("Function.prototype.toString", "String.prototype.trim", "parseInt",
                    "parseFloat", "Number.parseInt", "Math.sinh"):
        source = page.evaluate(  # type: ignore[attr-defined]
            f"Function.prototype.toString.call({builtin})")
        assert "[native code]" in source, f"{builtin} is not native: {source[:80]}"
    # Dash's renderer still has the polyfill's regenerator runtime it needs.
    assert page.evaluate("typeof regeneratorRuntime") == "object"  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900},
                                      {"width": 390, "height": 844}])
def test_market_chart_margins_are_settled_before_the_first_draw(
        browser: object, web_server: WebProcess, problems: PageProblems,
        viewport: dict[str, int]) -> None:
    """automargin found nothing to push: the drawn margins are the ones the figure asked for."""
    page = open_page(browser, web=web_server, viewport=viewport, theme="dark", problems=problems)
    page.goto(web_server.url + "/?symbol=sample:SPX&interval=1d&ind=sma:period=50,"  # type: ignore[attr-defined]
              "bbands:period=20:stddev=2,rsi:period=14")
    page.wait_for_selector(CHART, timeout=45_000)  # type: ignore[attr-defined]
    page.wait_for_function(f"{PLOT}._fullData[0]._length === 5031",  # type: ignore[attr-defined]
                           timeout=45_000)
    asked = page.evaluate(f"{PLOT}._fullLayout.margin")  # type: ignore[attr-defined]
    drawn = page.evaluate(f"{PLOT}._fullLayout._size")  # type: ignore[attr-defined]
    assert (drawn["r"], drawn["t"]) == (asked["r"], asked["t"])
    page.context.close()  # type: ignore[attr-defined]
