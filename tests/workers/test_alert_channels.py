"""Channels against real peers: a local HTTP receiver that checks the HMAC signature and fails
on purpose, and a local SMTP server (aiosmtpd). Deliveries go through the real state machine
(claim, attempt, log, backoff) on a migrated database."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine, select, update

from ml.alerts.store import (
    channel_settings,
    create_test_delivery,
    deliveries_for_events,
    save_channel,
)
from ml.db import write_transaction
from ml.db.schema import notification_deliveries
from tests.workers.alert_helpers import (
    SECRET,
    SmtpInbox,
    WebhookReceiver,
    make_user,
    smtp_server,
    webhook,
)
from workers.alert_tasks import AlertSettings, backoff_s, deliver_once
from workers.channels.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    body_for,
    build_request,
    detect_style,
    sign,
    verify_signature,
)

__all__ = ["smtp_server", "webhook"]

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    """SQLite, and PostgreSQL too when FORESIGHT_TEST_POSTGRES_URL is set."""
    return any_engine


FAST = AlertSettings(alert_retry_base_s=0.05, alert_max_attempts=5, alert_failing_after=3)


def _run_until_settled(engine: Engine, delivery_id: int, settings: AlertSettings = FAST,
                       limit: int = 20) -> list[dict]:
    """Drive one delivery as the worker's retries would: attempt, wait the backoff, again."""
    outcomes = []
    for _ in range(limit):
        outcome = deliver_once(engine, delivery_id, settings)
        if outcome["state"] == "skipped":
            time.sleep(0.02)
            continue
        outcomes.append(outcome)
        if outcome["state"] != "retrying":
            return outcomes
        time.sleep(outcome["retry_in_s"])
    raise AssertionError(f"delivery {delivery_id} did not settle: {outcomes}")


def test_signature_round_trip_and_tamper() -> None:
    body = b'{"a":1}'
    signature = sign("s3cret", 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature("s3cret", "1700000000", body, signature, now=1_700_000_100)
    assert not verify_signature("s3cret", "1700000000", b'{"a":2}', signature,
                                now=1_700_000_100)
    assert not verify_signature("other", "1700000000", body, signature, now=1_700_000_100)
    # Too old: a captured request cannot be replayed later.
    assert not verify_signature("s3cret", "1700000000", body, signature, now=1_700_001_000)


def test_slack_and_discord_urls_get_their_payload_shapes() -> None:
    payload = {"message": "AAPL 1d: close 190 crossed above 189"}
    assert detect_style("https://hooks.slack.com/services/T/B/X") == "slack"
    assert detect_style("https://discord.com/api/webhooks/1/abc") == "discord"
    assert detect_style("https://example.org/hook", "slack") == "slack"
    assert detect_style("https://example.org/hook") == "generic"
    assert body_for("slack", payload) == {"text": ":bell: " + payload["message"]}
    discord = body_for("discord", {"message": "x" * 5000})
    assert set(discord) == {"content", "username"} and len(discord["content"]) == 2000
    generic = body_for("generic", payload)
    assert generic == {"type": "alert.fired", "event": payload}
    body, headers = build_request({"url": "https://discord.com/api/webhooks/1/a",
                                   "secret": "k"}, payload, timestamp=1_700_000_000)
    assert json.loads(body)["content"].endswith(payload["message"])
    assert headers[SIGNATURE_HEADER] == sign("k", 1_700_000_000, body)
    assert headers[TIMESTAMP_HEADER] == "1700000000"


def test_webhook_failing_twice_is_delivered_exactly_once(engine: Engine,
                                                         webhook: WebhookReceiver) -> None:
    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": SECRET})
    webhook.script = [500, 500]
    delivery = create_test_delivery(engine, user, "webhook", max_attempts=5)
    outcomes = _run_until_settled(engine, delivery)
    assert [o["state"] for o in outcomes] == ["retrying", "retrying", "delivered"]
    # Exponential backoff: 0.05 s, then 0.1 s.
    assert [o["retry_in_s"] for o in outcomes[:2]] == [0.05, 0.1]
    assert [r.status for r in webhook.received] == [500, 500, 200]
    assert all(r.signature_ok for r in webhook.received)
    assert len(webhook.delivered()) == 1
    sent = webhook.delivered()[0].json()
    assert sent["type"] == "alert.test" and sent["event"]["delivery_id"] == delivery
    # Once delivered, another attempt (a duplicate task) sends nothing.
    assert deliver_once(engine, delivery, FAST)["state"] == "skipped"
    assert len(webhook.received) == 3
    health = channel_settings(engine, user)["webhook"]
    assert health["failing"] is False and health["consecutive_failures"] == 0


def test_wrong_secret_is_refused_and_not_retried(engine: Engine,
                                                 webhook: WebhookReceiver) -> None:
    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": "not-the-secret"})
    delivery = create_test_delivery(engine, user, "webhook", max_attempts=5)
    outcomes = _run_until_settled(engine, delivery)
    # 401 cannot succeed by retrying: one attempt, failed, with the reason kept.
    assert [o["state"] for o in outcomes] == ["failed"]
    assert "401" in outcomes[0]["detail"]
    assert [r.signature_ok for r in webhook.received] == [False]


def test_channel_that_keeps_failing_is_marked_and_stops_retrying(
        engine: Engine, webhook: WebhookReceiver) -> None:
    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": SECRET})
    webhook.script = [503] * 50
    first = create_test_delivery(engine, user, "webhook", max_attempts=5)
    outcomes = _run_until_settled(engine, first)
    # Failing after 3 consecutive failures: the third attempt is the last.
    assert [o["state"] for o in outcomes] == ["retrying", "retrying", "failed"]
    assert channel_settings(engine, user)["webhook"]["failing"] is True
    second = create_test_delivery(engine, user, "webhook", max_attempts=5)
    assert [o["state"] for o in _run_until_settled(engine, second)] == ["failed"]
    # Other channels are not held up by it: in-app still delivers.
    in_app = create_test_delivery(engine, user, "in_app")
    assert _run_until_settled(engine, in_app)[-1]["state"] == "delivered"
    # Fixing the settings clears the mark; the next delivery goes through.
    webhook.script = []
    save_channel(engine, user, "webhook", {"url": webhook.url})
    assert channel_settings(engine, user)["webhook"]["config"]["secret"] == SECRET
    third = create_test_delivery(engine, user, "webhook", max_attempts=5)
    assert _run_until_settled(engine, third)[-1]["state"] == "delivered"


def test_unreachable_webhook_is_retried_then_failed(engine: Engine) -> None:
    from ops.redis_server import free_port

    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": f"http://127.0.0.1:{free_port()}/nobody"})
    delivery = create_test_delivery(engine, user, "webhook", max_attempts=2)
    outcomes = _run_until_settled(engine, delivery, AlertSettings(alert_retry_base_s=0.01,
                                                                  alert_failing_after=10))
    assert [o["state"] for o in outcomes] == ["retrying", "failed"]
    assert "cannot reach" in outcomes[-1]["detail"]


def test_email_reaches_a_real_smtp_server(engine: Engine, smtp_server: SmtpInbox,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORESIGHT_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("FORESIGHT_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("FORESIGHT_SMTP_SENDER", "alerts@foresight.test")
    user = make_user(engine)
    save_channel(engine, user, "email", {"address": "alice@example.test"})
    delivery = create_test_delivery(engine, user, "email")
    assert _run_until_settled(engine, delivery)[-1]["state"] == "delivered"
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "alice@example.test"
    assert message["From"] == "alerts@foresight.test"
    assert message["Subject"].startswith("[Foresight test]")
    assert "this channel works" in message.get_payload()


def test_email_without_smtp_settings_fails_once_with_the_reason(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORESIGHT_SMTP_HOST", raising=False)
    user = make_user(engine)
    save_channel(engine, user, "email", {"address": "alice@example.test"})
    delivery = create_test_delivery(engine, user, "email", max_attempts=5)
    outcomes = _run_until_settled(engine, delivery)
    assert [o["state"] for o in outcomes] == ["failed"]
    assert "FORESIGHT_SMTP_HOST" in outcomes[0]["detail"]


def test_a_claimed_delivery_is_not_sent_twice(engine: Engine, webhook: WebhookReceiver) -> None:
    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": SECRET})
    delivery = create_test_delivery(engine, user, "webhook")
    from ml.alerts.store import now_utc
    from workers.alert_tasks import claim

    assert claim(engine, delivery, now_utc(), FAST)
    # Another worker holding the same task id finds it taken while the lease runs.
    assert deliver_once(engine, delivery, FAST)["state"] == "skipped"
    assert webhook.received == []
    # A lease that ran out (the first worker died) is taken over.
    with write_transaction(engine) as connection:
        connection.execute(update(notification_deliveries).values(lease_until=now_utc().replace(
            year=2000)))
    assert deliver_once(engine, delivery, FAST)["state"] == "delivered"
    assert len(webhook.delivered()) == 1


def test_attempt_log_is_kept(engine: Engine, webhook: WebhookReceiver) -> None:
    user = make_user(engine)
    save_channel(engine, user, "webhook", {"url": webhook.url, "secret": SECRET})
    webhook.script = [500]
    delivery = create_test_delivery(engine, user, "webhook", max_attempts=3)
    _run_until_settled(engine, delivery)
    with engine.connect() as connection:
        row = connection.execute(select(notification_deliveries).where(
            notification_deliveries.c.id == delivery)).one()
    assert (row.state, row.attempts, row.last_error) == ("delivered", 2, None)
    assert deliveries_for_events(engine, user, []) == {}


def test_backoff_doubles_and_is_capped() -> None:
    settings = AlertSettings(alert_retry_base_s=2, alert_retry_max_s=20)
    assert [backoff_s(n, settings) for n in range(1, 6)] == [2, 4, 8, 16, 20]
