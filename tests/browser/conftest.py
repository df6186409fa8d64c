"""Helpers for tests that look at pages as users do (the ``browser`` fixture is in
tests/conftest.py, shared by every folder: only one Playwright may run per process).

Every page fixture records console errors and failed requests; a test that produced any fails,
which is how a CDN link or a broken callback gets caught.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

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


def open_page(browser: object, *, viewport: dict[str, int], theme: str,
              problems: PageProblems) -> object:
    context = browser.new_context(viewport=viewport, color_scheme=theme,  # type: ignore[attr-defined]
                                  has_touch=viewport["width"] < 600)
    page = context.new_page()
    page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                       f"{message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} "
                                                         f"{req.failure}"))
    return page


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
