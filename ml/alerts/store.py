"""Storage of alert rules, events, deliveries and channel settings (web and workers share it).

Rules are validated here (``check_rule``) with one message per form field, so the page, the
API and the worker agree on what a valid rule is. Every query that reads or changes a user's
data takes the owner's id: one user never sees or edits another's alerts.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from ml.alerts.rules import RULE_TYPES, AlertRuleError, Rule, parse_rule
from ml.data import INTERVALS
from ml.db import write_transaction
from ml.db.schema import (
    alert_events,
    alert_rules,
    delivery_attempts,
    notification_channels,
    notification_deliveries,
)

logger = logging.getLogger(__name__)

CHANNELS = ("in_app", "browser", "webhook", "email")
# Channels a worker sends; "browser" is delivered when a page shows it, "in_app" when stored.
WORKER_CHANNELS = ("in_app", "webhook", "email")
WEBHOOK_STYLES = ("generic", "slack", "discord")
MAX_COOLDOWN_S = 365 * 86400


def now_utc() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- validation ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleValues:
    """A rule as the form and API give it, validated."""

    name: str
    symbol: str
    interval: str
    rule: Rule
    channels: tuple[str, ...]
    cooldown_s: int
    one_shot: bool
    active: bool
    expires_at: datetime | None


def check_rule(values: Mapping[str, Any], known_symbol: Callable[[str], bool] | None = None
               ) -> tuple[RuleValues | None, dict[str, str]]:
    """Validate form values; return the rule or ``{field: message}`` for every bad field.

    ``values``: name, symbol, interval, rule_type, params (dict), channels (list), cooldown_s,
    one_shot, active, expires_at (ISO text or datetime or empty).
    """
    errors: dict[str, str] = {}
    symbol = str(values.get("symbol") or "").strip()
    if not symbol:
        errors["symbol"] = "enter a symbol"
    elif known_symbol is not None and not known_symbol(symbol):
        errors["symbol"] = f"unknown symbol {symbol!r}: load it on the Market page first"
    interval = str(values.get("interval") or "")
    if interval not in INTERVALS:
        errors["interval"] = f"choose one of {', '.join(INTERVALS)}"
    rule = _check_params(values, errors)
    raw_channels = values.get("channels") or []
    if not isinstance(raw_channels, list | tuple) or not all(
            isinstance(c, str) for c in raw_channels):
        raw_channels = [repr(raw_channels)]
    channels = tuple(dict.fromkeys(raw_channels))
    if not channels:
        errors["channels"] = "choose at least one channel"
    elif any(c not in CHANNELS for c in channels):
        errors["channels"] = f"channels must be among {', '.join(CHANNELS)}"
    cooldown = _check_cooldown(values.get("cooldown_s", 0), errors)
    expires_at = _check_expiry(values.get("expires_at"), errors)
    name = str(values.get("name") or "").strip()[:120]
    if errors or rule is None:
        return None, errors
    return RuleValues(name=name or f"{symbol} {rule.rule_type}", symbol=symbol,
                      interval=interval, rule=rule, channels=channels, cooldown_s=cooldown,
                      one_shot=bool(values.get("one_shot", False)),
                      active=bool(values.get("active", True)), expires_at=expires_at), errors


def _check_params(values: Mapping[str, Any], errors: dict[str, str]) -> Rule | None:
    rule_type = values.get("rule_type")
    if rule_type not in RULE_TYPES:
        errors["rule_type"] = f"choose one of {', '.join(RULE_TYPES)}"
        return None
    try:
        return parse_rule(rule_type, values.get("params") or {})
    except AlertRuleError as error:
        errors[error.field] = error.message
        return None


def _check_cooldown(raw: object, errors: dict[str, str]) -> int:
    text = "" if raw is None else str(raw).strip()
    try:
        cooldown = int(float(text)) if text else 0
    except (ValueError, OverflowError):
        errors["cooldown_s"] = f"cooldown must be a number of seconds; got {text!r}"
        return 0
    if cooldown < 0:
        errors["cooldown_s"] = "cooldown cannot be negative"
    elif cooldown > MAX_COOLDOWN_S:
        errors["cooldown_s"] = f"cooldown is at most {MAX_COOLDOWN_S} s (a year)"
    return cooldown


def _check_expiry(raw: object, errors: dict[str, str]) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        errors["expires_at"] = f"expiry must be a date and time; got {raw!r}"
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- rules -----------------------------------------------------------------------------------

def _rule_row(values: RuleValues, now: datetime) -> dict[str, Any]:
    return {"name": values.name, "symbol": values.symbol, "interval": values.interval,
            "rule_type": values.rule.rule_type,
            "params_json": json.dumps(values.rule.params, sort_keys=True),
            "channels_json": json.dumps(list(values.channels)),
            "cooldown_s": values.cooldown_s, "active": values.active,
            "one_shot": values.one_shot, "expires_at": values.expires_at, "updated_at": now}


def create_rule(engine: Engine, owner_id: int, values: RuleValues,
                now: datetime | None = None) -> int:
    now = now or now_utc()
    with write_transaction(engine) as connection:
        result = connection.execute(insert(alert_rules).values(
            owner_id=owner_id, created_at=now, last_fired_ts=None, **_rule_row(values, now)))
        key = result.inserted_primary_key
        assert key is not None
        rule_id = int(key[0])
    logger.info("alert rule %d created for user %d: %s %s %s", rule_id, owner_id,
                values.symbol, values.interval, values.rule.rule_type)
    return rule_id


def update_rule(engine: Engine, owner_id: int, rule_id: int, values: RuleValues,
                now: datetime | None = None) -> bool:
    """Replace a rule's settings; it re-arms (fires only on bars closing after this edit)."""
    now = now or now_utc()
    with write_transaction(engine) as connection:
        changed = connection.execute(update(alert_rules).where(
            alert_rules.c.id == rule_id, alert_rules.c.owner_id == owner_id).values(
            created_at=now, last_fired_ts=None, **_rule_row(values, now))).rowcount
    return bool(changed)


def set_rule_active(engine: Engine, owner_id: int, rule_id: int, active: bool) -> bool:
    with write_transaction(engine) as connection:
        return bool(connection.execute(update(alert_rules).where(
            alert_rules.c.id == rule_id, alert_rules.c.owner_id == owner_id).values(
            active=active, updated_at=now_utc())).rowcount)


def delete_rule(engine: Engine, owner_id: int, rule_id: int) -> bool:
    with write_transaction(engine) as connection:
        return bool(connection.execute(delete(alert_rules).where(
            alert_rules.c.id == rule_id, alert_rules.c.owner_id == owner_id)).rowcount)


def rule_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "owner_id": row.owner_id, "name": row.name, "symbol": row.symbol,
            "interval": row.interval, "rule_type": row.rule_type,
            "params": json.loads(row.params_json), "channels": json.loads(row.channels_json),
            "cooldown_s": row.cooldown_s, "active": bool(row.active),
            "one_shot": bool(row.one_shot), "expires_at": _iso(utc(row.expires_at)),
            "last_fired_ts": row.last_fired_ts, "created_at": _iso(utc(row.created_at)),
            "updated_at": _iso(utc(row.updated_at))}


def list_rules(engine: Engine, owner_id: int) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(alert_rules).where(
            alert_rules.c.owner_id == owner_id).order_by(alert_rules.c.id)).all()
    return [rule_dict(row) for row in rows]


def get_rule(engine: Engine, owner_id: int, rule_id: int) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(select(alert_rules).where(
            alert_rules.c.id == rule_id, alert_rules.c.owner_id == owner_id)).first()
    return rule_dict(row) if row is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- events ----------------------------------------------------------------------------------

def event_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "rule_id": row.rule_id, "bar_ts": row.bar_ts, "symbol": row.symbol,
            "interval": row.interval, "payload": json.loads(row.payload_json),
            "created_at": _iso(utc(row.created_at)), "read": row.read_at is not None}


def list_events(engine: Engine, owner_id: int, *, limit: int = 50,
                after_id: int | None = None) -> list[dict[str, Any]]:
    """Newest first; with ``after_id`` only events newer than it (oldest first)."""
    query = select(alert_events).where(alert_events.c.owner_id == owner_id)
    if after_id is not None:
        query = query.where(alert_events.c.id > after_id).order_by(alert_events.c.id.asc())
    else:
        query = query.order_by(alert_events.c.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).all()
    return [event_dict(row) for row in rows]


def unread_count(engine: Engine, owner_id: int) -> tuple[int, int]:
    """(unread events, newest event id) for the bell: one cheap indexed query."""
    with engine.connect() as connection:
        row = connection.execute(select(
            func.count(alert_events.c.id).filter(alert_events.c.read_at.is_(None)),
            func.max(alert_events.c.id)).where(alert_events.c.owner_id == owner_id)).one()
    return int(row[0] or 0), int(row[1] or 0)


def mark_read(engine: Engine, owner_id: int, up_to_id: int | None = None) -> int:
    query = update(alert_events).where(alert_events.c.owner_id == owner_id,
                                       alert_events.c.read_at.is_(None))
    if up_to_id is not None:
        query = query.where(alert_events.c.id <= up_to_id)
    with write_transaction(engine) as connection:
        return int(connection.execute(query.values(read_at=now_utc())).rowcount)


def mark_browser_delivered(engine: Engine, owner_id: int, event_ids: list[int]) -> int:
    """The page showed these events as browser notifications: their browser deliveries are
    done (the browser channel is delivered by a page, not by a worker)."""
    if not event_ids:
        return 0
    now = now_utc()
    with write_transaction(engine) as connection:
        return int(connection.execute(update(notification_deliveries).where(
            notification_deliveries.c.owner_id == owner_id,
            notification_deliveries.c.channel == "browser",
            notification_deliveries.c.event_id.in_(event_ids),
            notification_deliveries.c.state == "pending").values(
            state="delivered", attempts=1, delivered_at=now, updated_at=now)).rowcount)


def deliveries_for_events(engine: Engine, owner_id: int,
                          event_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Delivery state per event with its attempts, for the events table."""
    if not event_ids:
        return {}
    d, a = notification_deliveries, delivery_attempts
    with engine.connect() as connection:
        rows = connection.execute(select(d).where(
            d.c.owner_id == owner_id, d.c.event_id.in_(event_ids)).order_by(d.c.id)).all()
        attempts = connection.execute(select(a).where(
            a.c.delivery_id.in_([r.id for r in rows])).order_by(a.c.id)).all() if rows else []
    by_delivery: dict[int, list[dict[str, Any]]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append({
            "attempt": attempt.attempt, "at": _iso(utc(attempt.at)), "ok": bool(attempt.ok),
            "duration_ms": attempt.duration_ms, "detail": attempt.detail})
    result: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        result.setdefault(row.event_id, []).append({
            "id": row.id, "channel": row.channel, "state": row.state,
            "attempts": row.attempts, "last_error": row.last_error,
            "delivered_at": _iso(utc(row.delivered_at)),
            "log": by_delivery.get(row.id, [])})
    return result


def get_delivery(engine: Engine, delivery_id: int) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(select(notification_deliveries).where(
            notification_deliveries.c.id == delivery_id)).first()
    return dict(row._mapping) if row is not None else None


# --- channels --------------------------------------------------------------------------------

def channel_settings(engine: Engine, owner_id: int) -> dict[str, dict[str, Any]]:
    """Each configured channel's settings and health, by channel name."""
    with engine.connect() as connection:
        rows = connection.execute(select(notification_channels).where(
            notification_channels.c.owner_id == owner_id)).all()
    return {row.channel: {"config": json.loads(row.config_json), "failing": bool(row.failing),
                          "consecutive_failures": row.consecutive_failures,
                          "last_error": row.last_error,
                          "last_success_at": _iso(utc(row.last_success_at)),
                          "last_failure_at": _iso(utc(row.last_failure_at))}
            for row in rows}


def check_channel_config(channel: str, config: Mapping[str, Any]) -> dict[str, str]:
    """Field messages for a channel's settings (empty when valid)."""
    errors: dict[str, str] = {}
    if channel == "webhook":
        url = str(config.get("url") or "")
        if not url.startswith(("http://", "https://")):
            errors["url"] = "the webhook URL must start with http:// or https://"
        if config.get("style", "generic") not in WEBHOOK_STYLES:
            errors["style"] = f"style must be one of {', '.join(WEBHOOK_STYLES)}"
    elif channel == "email":
        address = str(config.get("address") or "")
        if "@" not in address or " " in address.strip() or address.startswith("@"):
            errors["address"] = f"not an e-mail address: {address!r}"
    elif channel not in CHANNELS:
        errors["channel"] = f"unknown channel {channel!r}"
    return errors


def save_channel(engine: Engine, owner_id: int, channel: str,
                 config: Mapping[str, Any]) -> dict[str, Any]:
    """Store a channel's settings (a webhook keeps its signing secret unless given a new one);
    saving clears the failing mark so the user can try again."""
    errors = check_channel_config(channel, config)
    if errors:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    stored = dict(config)
    now = now_utc()
    c = notification_channels.c
    with write_transaction(engine) as connection:
        row = connection.execute(select(notification_channels).where(
            c.owner_id == owner_id, c.channel == channel)).first()
        if channel == "webhook" and not stored.get("secret"):
            previous = json.loads(row.config_json).get("secret") if row is not None else None
            stored["secret"] = previous or secrets.token_hex(32)
        body = {"config_json": json.dumps(stored), "failing": False, "consecutive_failures": 0,
                "updated_at": now}
        if row is None:
            connection.execute(insert(notification_channels).values(
                owner_id=owner_id, channel=channel, **body))
        else:
            connection.execute(update(notification_channels).where(
                c.id == row.id).values(**body))
    return stored


def channel_config(connection: Connection, owner_id: int,
                   channel: str) -> tuple[dict[str, Any] | None, bool]:
    """(settings or None, failing) of one channel, inside a worker's transaction."""
    c = notification_channels.c
    row = connection.execute(select(c.config_json, c.failing).where(
        c.owner_id == owner_id, c.channel == channel)).first()
    if row is None:
        return None, False
    return json.loads(row.config_json), bool(row.failing)


def record_channel_health(engine: Engine, owner_id: int, channel: str, ok: bool,
                          error: str | None, failing_after: int) -> bool:
    """Count consecutive failures; mark the channel failing after ``failing_after`` in a row.

    Returns whether the channel is now marked failing.
    """
    now = now_utc()
    c = notification_channels.c
    with write_transaction(engine) as connection:
        row = connection.execute(select(c.id, c.consecutive_failures).where(
            c.owner_id == owner_id, c.channel == channel)).first()
        if row is None:
            connection.execute(insert(notification_channels).values(
                owner_id=owner_id, channel=channel, config_json="{}", failing=False,
                consecutive_failures=0, updated_at=now))
            row = connection.execute(select(c.id, c.consecutive_failures).where(
                c.owner_id == owner_id, c.channel == channel)).one()
        if ok:
            connection.execute(update(notification_channels).where(c.id == row.id).values(
                failing=False, consecutive_failures=0, last_success_at=now, updated_at=now))
            return False
        failures = int(row.consecutive_failures) + 1
        failing = failures >= failing_after
        connection.execute(update(notification_channels).where(c.id == row.id).values(
            failing=failing, consecutive_failures=failures, last_error=(error or "")[:2000],
            last_failure_at=now, updated_at=now))
    if failing:
        logger.warning("channel %s of user %d marked failing after %d failures", channel,
                       owner_id, failures)
    return failing


def create_test_delivery(engine: Engine, owner_id: int, channel: str,
                         max_attempts: int = 1) -> int:
    """A delivery with no event: the page's "send a test notification"."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    now = now_utc()
    payload = {"test": True, "message": "Foresight test notification: this channel works.",
               "symbol": "TEST", "interval": "", "rule": "test", "sent_at": now.isoformat()}
    with write_transaction(engine) as connection:
        result = connection.execute(insert(notification_deliveries).values(
            event_id=None, owner_id=owner_id, channel=channel, state="pending", attempts=0,
            max_attempts=max_attempts, next_attempt_at=now, created_at=now, updated_at=now,
            test_payload_json=json.dumps(payload)))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def recent_test_deliveries(engine: Engine, owner_id: int, limit: int = 5) -> list[dict[str, Any]]:
    d = notification_deliveries.c
    with engine.connect() as connection:
        rows = connection.execute(select(notification_deliveries).where(
            and_(d.owner_id == owner_id, d.event_id.is_(None))).order_by(
            d.id.desc()).limit(limit)).all()
    return [{"id": r.id, "channel": r.channel, "state": r.state, "attempts": r.attempts,
             "last_error": r.last_error, "created_at": _iso(utc(r.created_at))} for r in rows]
