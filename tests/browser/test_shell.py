"""The app shell in a real browser: styled offline, themed, responsive, no console errors."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageProblems, open_page, screenshot
from tests.conftest import WebProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _no_horizontal_scroll(page: object) -> bool:
    return bool(page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= window.innerWidth"))


def test_home_renders_in_every_view(browser: object, web_server: WebProcess,
                                    view: dict[str, object], problems: PageProblems) -> None:
    page = open_page(browser, web=web_server,
                     viewport=view["viewport"], theme=str(view["theme"]),  # type: ignore[arg-type]
                     problems=problems)
    page.goto(web_server.url, wait_until="networkidle")
    page.wait_for_selector(".market-page")
    # The system preference decides the first theme.
    assert page.evaluate("document.documentElement.dataset.bsTheme") == view["theme"]
    # Bootstrap is loaded locally: the navbar is styled (not a bare list).
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    assert _no_horizontal_scroll(page)
    screenshot(page, f"shell-home-{view['name']}")
    page.context.close()


def test_theme_switch_is_remembered_per_browser(browser: object, web_server: WebProcess,
                                                problems: PageProblems) -> None:
    page = open_page(browser, web=web_server,
                     viewport={"width": 1440, "height": 900}, theme="light",
                     problems=problems)
    page.goto(web_server.url, wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == "light"
    page.click("label[for='theme-switch']")
    page.wait_for_function("document.documentElement.dataset.bsTheme === 'dark'")
    page.reload(wait_until="networkidle")
    page.wait_for_selector(".market-page")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
    assert page.is_checked("#theme-switch")
    page.context.close()


def test_phone_navbar_collapses_and_opens(browser: object, web_server: WebProcess,
                                          problems: PageProblems) -> None:
    page = open_page(browser, web=web_server, viewport={"width": 390, "height": 844}, theme="light",
                     problems=problems)
    page.goto(web_server.url, wait_until="networkidle")
    assert not page.is_visible("#theme-switch")
    page.click("#navbar-toggler")
    page.wait_for_selector("#theme-switch", state="visible")
    assert _no_horizontal_scroll(page)
    page.context.close()
