"""Alerts in a real browser: the bell's count, the toast and a browser notification arrive
without a reload when an alert fires; the rule form validates as you type; save and replay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from ml.alerts.engine import evaluate
from ml.db import make_engine
from tests.browser.conftest import PageProblems, open_page, screenshot
from tests.conftest import WebProcess
from tests.workers.alert_helpers import WebhookReceiver, add_rule, bar_frame, store_bars, webhook

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["webhook"]

PASSWORD = "correct horse battery"
# Wraps (does not replace) the real Notification API so the test can see what was shown.
RECORD_NOTIFICATIONS = """
window.__notes = [];
const RealNotification = window.Notification;
if (RealNotification) {
  const Recording = function (title, options) {
    window.__notes.push({title: title, body: options && options.body});
    return new RealNotification(title, options);
  };
  Object.defineProperty(Recording, "permission", {get: () => RealNotification.permission});
  Recording.requestPermission = RealNotification.requestPermission.bind(RealNotification);
  window.Notification = Recording;
}
"""


@pytest.fixture
def alert_user(worker_services: dict[str, object]) -> tuple[str, int, object]:
    from webapp import accounts

    engine = make_engine(str(worker_services["database_url"]))
    name = f"bell{uuid.uuid4().hex[:8]}"
    user = accounts.create_user(engine, name, PASSWORD, "viewer")
    return name, int(user.id), engine


def _login(page: object, url: str, username: str, next_path: str = "/") -> None:
    """Log in through the form; the login redirects to ``next_path``, loaded to the end."""
    page.goto(f"{url}/login?next={next_path}", wait_until="networkidle")  # type: ignore[attr-defined]
    page.fill("#login-username", username)  # type: ignore[attr-defined]
    page.fill("#login-password", PASSWORD)  # type: ignore[attr-defined]
    with page.expect_navigation(wait_until="networkidle"):  # type: ignore[attr-defined]
        page.click("#login-submit")  # type: ignore[attr-defined]


def test_bell_toast_and_browser_notification_arrive_live(
        browser: object, web_server: WebProcess, problems: PageProblems,
        alert_user: tuple[str, int, object]) -> None:
    username, user_id, engine = alert_user
    symbol = f"BELL{user_id}"
    store_bars(engine, symbol, "1d", bar_frame([100.0, 101.0, 99.0]))  # type: ignore[arg-type]
    add_rule(engine, user_id, symbol=symbol, params={"condition": "crosses_up",  # type: ignore[arg-type]
                                                     "level": 100},
             channels=("in_app", "browser"), created=datetime(2000, 1, 1, tzinfo=UTC))
    evaluate(engine, datetime(2030, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    page = open_page(browser, web=web_server,
                     viewport={"width": 1440, "height": 900}, theme="light",
                     problems=problems)
    page.context.grant_permissions(["notifications"], origin=web_server.url)
    page.add_init_script(RECORD_NOTIFICATIONS)
    _login(page, web_server.url, username)
    page.wait_for_selector("#account-bell")
    assert "d-none" in page.get_attribute("#account-bell-count", "class")
    # A bar closes above the level; the worker-side evaluation stores the event.
    store_bars(engine, symbol, "1d", bar_frame([100.0, 101.0, 99.0, 102.0]).iloc[3:])  # type: ignore[arg-type]
    report = evaluate(engine, datetime(2030, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert len(report.events) == 1
    # No reload: the bell polls.
    page.wait_for_function(
        "document.querySelector('#account-bell-count').textContent === '1'", timeout=20_000)
    toast = page.wait_for_selector(".alert-toast.show", timeout=10_000)
    assert f"{symbol} 1d: close 102 crossed above 100" in toast.inner_text()
    page.wait_for_function("window.__notes.length === 1", timeout=10_000)
    note = page.evaluate("window.__notes[0]")
    assert note["title"] == f"Foresight: {symbol} 1d"
    assert "crossed above 100" in note["body"]
    screenshot(page, "alerts-bell-toast")
    page.context.close()


def test_rule_form_validates_as_you_type_then_saves_and_replays(
        browser: object, web_server: WebProcess, problems: PageProblems,
        alert_user: tuple[str, int, object]) -> None:
    username, user_id, engine = alert_user
    symbol = f"FORM{user_id}"
    store_bars(engine, symbol, "1d", bar_frame([100.0 + (i % 7) for i in range(60)]))  # type: ignore[arg-type]
    page = open_page(browser, web=web_server, viewport={"width": 390, "height": 844}, theme="dark",
                     problems=problems)
    _login(page, web_server.url, username, "/alerts")
    def field(name: str) -> str:
        return f"[id='{{\"name\":\"{name}\",\"type\":\"account-alerts-field\"}}']"

    def feedback(name: str) -> str:
        return f"[id='{{\"name\":\"{name}\",\"type\":\"account-alerts-feedback\"}}']"

    page.fill(field("symbol"), "NO-SUCH-SYMBOL")
    page.wait_for_function(f"document.querySelector(`{feedback('symbol')}`).textContent"
                           ".includes('unknown symbol')")
    page.fill(field("compare"), "abc")
    page.wait_for_function(f"document.querySelector(`{feedback('compare')}`).textContent"
                           ".includes('must be a number')")
    page.fill(field("cooldown_s"), "-5")
    page.wait_for_function(f"document.querySelector(`{feedback('cooldown_s')}`).textContent"
                           ".includes('cannot be negative')")
    assert page.is_disabled("#account-alerts-save")
    assert "is-invalid" in page.get_attribute(field("symbol"), "class")
    screenshot(page, "alerts-form-errors")
    page.fill(field("symbol"), symbol)
    page.fill(field("compare"), "105.5")
    page.fill(field("cooldown_s"), "0")
    page.wait_for_function("!document.querySelector('#account-alerts-save').disabled")
    page.click("#account-alerts-replay")
    summary = page.wait_for_selector("#alerts-replay-result", timeout=20_000)
    # Closes cycle 100..106: above 105.5 once per 7-bar cycle (the 106s), eight times.
    assert "Would have fired 8 time(s) over 60 bars" in summary.inner_text()
    page.click("#account-alerts-save")
    page.wait_for_selector("#alerts-saved", timeout=20_000)
    assert symbol in page.inner_text("#alerts-rules-table")
    page.context.close()


def test_send_a_test_webhook_from_the_page(browser: object, web_server: WebProcess,
                                           problems: PageProblems,
                                           alert_user: tuple[str, int, object],
                                           webhook: WebhookReceiver) -> None:
    from ml.alerts.store import channel_settings

    username, user_id, engine = alert_user
    page = open_page(browser, web=web_server,
                     viewport={"width": 1440, "height": 900}, theme="light",
                     problems=problems)
    _login(page, web_server.url, username, "/alerts")
    page.fill("[id='{\"name\":\"url\",\"type\":\"account-alerts-channel-field\"}']",
              webhook.url)
    page.click("[id='{\"channel\":\"webhook\",\"type\":\"account-alerts-channel-save\"}']")
    page.wait_for_selector("text=Signing secret", timeout=20_000)
    webhook.secret = channel_settings(engine, user_id)["webhook"]["config"]["secret"]  # type: ignore[arg-type]
    page.click("[id='{\"channel\":\"webhook\",\"type\":\"account-alerts-test\"}']")
    page.wait_for_selector("#alerts-test-queued", timeout=20_000)
    # The page queued a job; the session's worker signs and sends it.
    assert webhook.event.wait(timeout=60), webhook.received
    sent = webhook.delivered()
    assert len(sent) == 1 and sent[0].signature_ok
    assert sent[0].json()["type"] == "alert.test"
    page.context.close()
