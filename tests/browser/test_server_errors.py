"""A browser test that meets a 5xx fails with the web process's log lines for that request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import VIEWPORTS, PageProblems, open_page
from tests.conftest import WebProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_5xx_is_reported_with_the_servers_log_for_it(browser: object, tmp_path: Path) -> None:
    web = WebProcess({}, tmp_path / "web.log", app="tests.browser.failing_app:server")
    try:
        web.wait_ready()
        problems = PageProblems()
        page = open_page(browser, web=web, viewport=VIEWPORTS["desktop"], theme="light",
                         problems=problems)
        page.goto(web.url + "/", wait_until="networkidle")  # type: ignore[attr-defined]
        page.context.close()  # type: ignore[attr-defined]
    finally:
        web.stop()
    reports = [problem for problem in problems if problem.startswith("HTTP 500")]
    assert len(reports) == 1, problems
    report = reports[0]
    assert report.startswith("HTTP 500 for GET /broken.js; the web process logged:")
    assert "Exception on /broken.js [GET]" in report
    assert "RuntimeError: the script's handler failed on purpose" in report
    assert '"GET /broken.js HTTP/1.1" 500' in report  # the access log line
    assert "GET / HTTP/1.1" not in report  # only the failing request's lines
