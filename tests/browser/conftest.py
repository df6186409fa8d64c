"""Helpers for tests that look at pages as users do (the ``browser`` fixture is in
tests/conftest.py, shared by every folder: only one Playwright may run per process).

Every page records console errors, failed requests and 5xx answers (with the web process's log
lines for the request); a test that produced any fails, which is how a CDN link, a broken callback
or a server fault gets caught and explained.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PROJECT_ROOT, WebProcess

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def chromium_path() -> str | None:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class PageProblems(list[str]):
    """Console errors and failed requests seen by one page."""


@pytest.fixture(params=["desktop-light", "desktop-dark", "phone-light", "phone-dark"])
def view(request: pytest.FixtureRequest) -> dict[str, object]:
    size, theme = request.param.split("-")
    return {"name": request.param, "viewport": VIEWPORTS[size], "theme": theme}


def open_page(browser: object, *, web: WebProcess, viewport: dict[str, int], theme: str,
              problems: PageProblems) -> object:
    """A page in a fresh context; every console error, page error, failed request and 5xx
    answer (with ``web``'s log lines for that request) lands in ``problems``."""
    context = browser.new_context(viewport=viewport, color_scheme=theme,  # type: ignore[attr-defined]
                                  has_touch=viewport["width"] < 600)
    page = context.new_page()
    page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                       f"{message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} "
                                                         f"{req.failure}"))
    page.on("response", lambda response: problems.append(server_error_report(web, response))
            if response.status >= 500 else None)
    return page


def server_error_report(web: WebProcess, response: object) -> str:
    """What the server logged for the request it answered with a 5xx, so the cause is in the
    test's failure message rather than lost with the run's temporary folder."""
    url = urlsplit(response.url)  # type: ignore[attr-defined]
    path = url.path + (f"?{url.query}" if url.query else "")
    # gunicorn writes the access line once the answer has gone out: give it a moment.
    deadline = time.monotonic() + 2.0
    answered = f'{path} HTTP/1.1" {response.status}'  # type: ignore[attr-defined]
    while answered not in web.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    return (f"HTTP {response.status} for {response.request.method} {path}; "  # type: ignore[attr-defined]
            f"the web process logged:\n{web.log_for(url.path)}")


@pytest.fixture
def problems() -> Iterator[PageProblems]:
    found = PageProblems()
    yield found
    assert not found, "browser reported problems:\n" + "\n".join(found)


# Each drawn trace whose type plotly.js does not know (say, one missing from the partial bundle,
# webapp/plotly_bundle/entry.js) silently becomes an empty scatter; list them.
UNKNOWN_TRACES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd =>
  (gd._fullData || []).filter(t => t._input && t._input.type && t._input.type !== t.type)
    .map(t => t._input.type))"""


def screenshot(page: object, name: str) -> Path:
    """Save a screenshot, after checking every drawn trace kept its type."""
    unknown = page.evaluate(UNKNOWN_TRACES)  # type: ignore[attr-defined]
    assert not unknown, f"trace types plotly.js does not know on {name}: {sorted(set(unknown))}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
