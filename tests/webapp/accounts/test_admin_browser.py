"""The account and settings pages in headless Chromium: they render, work, and log nothing
bad in the console; a viewer sees the refusal, not the controls."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    VIEWPORTS,
    PageProblems,
    open_page,
    screenshot,
)
from tests.webapp.accounts.conftest import PASSWORD, Stack, fake_model_version

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def chromium(browser: object) -> object:
    """The session's Chromium (tests/conftest.py)."""
    return browser


def _log_in(page: object, stack: Stack, username: str, next_path: str) -> None:
    page.goto(f"{stack.url}/login?next={next_path}")  # type: ignore[attr-defined]
    page.fill("#login-username", username)  # type: ignore[attr-defined]
    page.fill("#login-password", PASSWORD)  # type: ignore[attr-defined]
    page.click("#login-submit")  # type: ignore[attr-defined]
    page.wait_for_url(f"{stack.url}{next_path}")  # type: ignore[attr-defined]


def test_an_admin_uses_the_account_and_settings_pages(stack: Stack, chromium: object) -> None:
    fake_model_version(stack.engine, "sample:SPX", "1wk")
    problems = PageProblems()
    page = open_page(chromium, web=stack.web,
                     viewport=VIEWPORTS["desktop"], theme="dark", problems=problems)
    _log_in(page, stack, "alice", "/account")
    page.fill("#account-token-name", "browser test")  # type: ignore[attr-defined]
    page.click("#account-token-create")  # type: ignore[attr-defined]
    token = page.wait_for_selector("#account-token-value")  # type: ignore[attr-defined]
    assert token.inner_text().startswith("fst_")
    screenshot(page, "accounts-account-admin")
    page.goto(f"{stack.url}/settings")  # type: ignore[attr-defined]
    page.wait_for_selector("#admin-train-submit")  # type: ignore[attr-defined]
    page.wait_for_selector("#admin-jobs-table >> text=/No jobs yet|train_model/")  # type: ignore[attr-defined]
    screenshot(page, "accounts-settings-training")
    page.click("text=Models")  # type: ignore[attr-defined]
    page.wait_for_selector("#admin-models-table table, #admin-models-table >> text=No ")  # type: ignore[attr-defined]
    screenshot(page, "accounts-settings-models")
    page.click("text=Schedules & drift")  # type: ignore[attr-defined]
    page.wait_for_selector("#admin-settings-save")  # type: ignore[attr-defined]
    page.click("text=System health")  # type: ignore[attr-defined]
    page.wait_for_selector("#admin-health-body >> text=database")  # type: ignore[attr-defined]
    screenshot(page, "accounts-settings-health")
    page.context.close()  # type: ignore[attr-defined]
    assert not problems, "\n".join(problems)


def test_a_viewer_sees_the_refusal_and_no_controls(stack: Stack, chromium: object) -> None:
    problems = PageProblems()
    page = open_page(chromium, web=stack.web,
                     viewport=VIEWPORTS["phone"], theme="light", problems=problems)
    _log_in(page, stack, "victor", "/settings")
    page.wait_for_selector("#settings-refused")  # type: ignore[attr-defined]
    assert page.query_selector("#admin-train-submit") is None  # type: ignore[attr-defined]
    screenshot(page, "accounts-settings-viewer")
    page.context.close()  # type: ignore[attr-defined]
    assert not problems, "\n".join(problems)
