"""Evaluate every active rule on the bars that closed since the last check; store events.

The path per (symbol, interval) with active rules: read the newest bars from the cache once,
share indicator series among all its rules (``ml.alerts.SeriesCache``), find the new closed
bars each rule fires on, apply expiry, arming, cooldown and one-shot, then insert each event
with ``ON CONFLICT DO NOTHING`` on (rule_id, bar_ts). Only the transaction that inserted the
event creates its deliveries, so two workers evaluating the same bar produce one event and one
set of deliveries.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ml.alert_store import WORKER_CHANNELS, now_utc, utc
from ml.alerts import ForecastTable, Rule, SeriesCache, describe, fire_mask, parse_rule, throttle
from ml.data.intervals import interval_seconds
from ml.db import write_transaction
from ml.db.schema import (
    alert_events,
    alert_rules,
    alert_watch_state,
    notification_deliveries,
)
from ml.db.schema import bars as bars_table

logger = logging.getLogger(__name__)

MAX_NEW_BARS = 500  # after a long outage, evaluate at most this many missed bars per series


@dataclass
class LiveRule:
    """A stored rule with its parsed definition."""

    id: int
    owner_id: int
    name: str
    symbol: str
    interval: str
    rule: Rule
    channels: tuple[str, ...]
    cooldown_s: int
    one_shot: bool
    expires_at: datetime | None
    last_fired_ts: int | None
    armed_at: datetime


@dataclass
class EvaluationReport:
    """What one check did; ``deliveries`` are the ids a worker must now send."""

    series: int = 0
    rules: int = 0
    new_bars: int = 0
    events: list[int] = field(default_factory=list)
    deliveries: list[tuple[int, str]] = field(default_factory=list)
    expired: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.series, "rules": self.rules, "new_bars": self.new_bars,
                "events": self.events, "deliveries": [d for d, _ in self.deliveries],
                "expired": self.expired, "errors": self.errors}


def load_rules(connection: Connection, symbols: Iterable[tuple[str, str]] | None = None
               ) -> dict[tuple[str, str], list[LiveRule]]:
    """Active rules grouped by (symbol, interval); a rule that no longer parses is skipped."""
    query = select(alert_rules).where(alert_rules.c.active.is_(True))
    wanted = set(symbols) if symbols is not None else None
    parsed: dict[tuple[str, str], Rule] = {}  # many rules share a definition: parse it once
    groups: dict[tuple[str, str], list[LiveRule]] = defaultdict(list)
    for row in connection.execute(query):
        key = (row.symbol, row.interval)
        if wanted is not None and key not in wanted:
            continue
        definition = (row.rule_type, row.params_json)
        rule = parsed.get(definition)
        if rule is None:
            try:
                rule = parse_rule(row.rule_type, json.loads(row.params_json))
            except ValueError as error:
                logger.error("alert rule %d is invalid and skipped: %s", row.id, error)
                continue
            parsed[definition] = rule
        groups[key].append(LiveRule(
            row.id, row.owner_id, row.name, row.symbol, row.interval, rule,
            tuple(json.loads(row.channels_json)), int(row.cooldown_s), bool(row.one_shot),
            utc(row.expires_at), row.last_fired_ts, utc(row.created_at) or now_utc()))
    return groups


def read_bars(connection: Connection, symbol: str, interval: str, rows: int) -> pd.DataFrame:
    """The newest ``rows`` cached bars (the cache holds closed bars only), ascending."""
    b = bars_table.c
    result = connection.execute(
        select(b.ts, b.open, b.high, b.low, b.close, b.volume)
        .where(b.symbol == symbol, b.interval == interval)
        .order_by(b.ts.desc()).limit(rows)).all()
    values = np.asarray(result[::-1], dtype=np.float64).reshape(-1, 6)
    index = pd.DatetimeIndex(pd.to_datetime(values[:, 0].astype(np.int64), unit="s", utc=True),
                             name="timestamp")
    return pd.DataFrame(values[:, 1:], index=index,
                        columns=["open", "high", "low", "close", "volume"])


def forecast_table(payloads: Iterable[dict[str, Any]]) -> ForecastTable | None:
    """Stored forecast payloads (``ml.forecast_store``) as a table of log returns.

    Only return forecasts can drive price rules; for each origin bar the newest one counts
    (the active model's, after a promotion).
    """
    by_origin: dict[int, dict[str, Any]] = {}
    for payload in payloads:
        if payload.get("target", "returns") != "returns" or not payload.get("central"):
            continue
        ts = int(payload["last_bar_ts"])
        current = by_origin.get(ts)
        if current is None or str(payload.get("made_at", "")) > str(current.get("made_at", "")):
            by_origin[ts] = payload
    if not by_origin:
        return None
    origins = sorted(by_origin)
    width = max(len(by_origin[ts]["central"]) for ts in origins)
    point = np.full((len(origins), width), np.nan)
    levels: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    for row, ts in enumerate(origins):
        payload = by_origin[ts]
        central = np.asarray(payload["central"], dtype=np.float64)
        point[row, :len(central)] = central
        close = float(payload["last_close"])
        for level_text, band in (payload.get("bands") or {}).items():
            level = float(level_text)
            lower, upper = levels.setdefault(level, (np.full_like(point, np.nan),
                                                     np.full_like(point, np.nan)))
            lower[row, :len(band["lower"])] = np.log(np.asarray(band["lower"]) / close)
            upper[row, :len(band["upper"])] = np.log(np.asarray(band["upper"]) / close)
    index = pd.DatetimeIndex(pd.to_datetime(origins, unit="s", utc=True), name="timestamp")
    return ForecastTable(index, point, levels)


def _load_forecasts(engine: Engine, symbol: str, interval: str,
                    rows: int) -> ForecastTable | None:
    try:
        from ml.forecast_store import forecast_history
    except ImportError:  # the forecast store is not installed: forecast rules stay silent
        return None
    return forecast_table(forecast_history(engine, symbol, interval, limit=rows))


def evaluate(engine: Engine, now: datetime | None = None,
             only: Iterable[tuple[str, str]] | None = None,
             reevaluate_bars: int = 0) -> EvaluationReport:
    """Check every active rule (or those on ``only`` series) against newly closed bars.

    ``reevaluate_bars`` > 0 evaluates the newest that many closed bars again whatever was
    evaluated before (after a data repair); events already stored are not stored twice.
    """
    now = now or now_utc()
    report = EvaluationReport()
    with engine.connect() as connection:
        groups = load_rules(connection, only)
        states = {(r.symbol, r.interval): int(r.evaluated_through_ts)
                  for r in connection.execute(select(alert_watch_state))}
    for (symbol, interval), rules in groups.items():
        report.series += 1
        report.rules += len(rules)
        try:
            _evaluate_series(engine, (symbol, interval), rules, states.get((symbol, interval)),
                             now, report, reevaluate_bars)
        except Exception as error:  # noqa: BLE001 - one bad series must not stop the others
            logger.exception("alert evaluation of %s %s failed", symbol, interval)
            report.errors.append(f"{symbol} {interval}: {error}")
    return report


def _evaluate_series(engine: Engine, series: tuple[str, str], rules: list[LiveRule],
                     evaluated_through: int | None, now: datetime,
                     report: EvaluationReport, reevaluate_bars: int = 0) -> None:
    symbol, interval = series
    length = interval_seconds(interval)
    lookback = max(rule.rule.lookback() for rule in rules)
    extra = MAX_NEW_BARS if evaluated_through is not None else max(1, reevaluate_bars)
    with engine.connect() as connection:
        bars = read_bars(connection, symbol, interval, lookback + extra)
    if bars.empty:
        return
    forecasts = None
    if any(rule.rule.is_forecast for rule in rules):
        forecasts = _load_forecasts(engine, symbol, interval, len(bars))
    cache = SeriesCache(bars, forecasts)
    closes_at = cache.ts + length
    closed = np.flatnonzero(closes_at <= int(now.timestamp()))
    if reevaluate_bars > 0:
        new_positions = closed[-reevaluate_bars:]
    elif evaluated_through is None:
        new_positions = closed[-1:]  # a series seen for the first time: its newest bar only
    else:
        new_positions = closed[cache.ts[closed] > evaluated_through][-MAX_NEW_BARS:]
    if len(new_positions) == 0:
        return
    report.new_bars += len(new_positions)
    firings = _firings(rules, cache, new_positions, closes_at, report)
    with write_transaction(engine) as connection:
        for live, positions in firings:
            _store_events(connection, live, cache, positions, now, report)
        _expire(connection, rules, now, report)
        _advance(connection, symbol, interval, int(cache.ts[new_positions[-1]]), now)


def _firings(rules: list[LiveRule], cache: SeriesCache, new_positions: np.ndarray,
             closes_at: np.ndarray, report: EvaluationReport
             ) -> list[tuple[LiveRule, list[int]]]:
    out: list[tuple[LiveRule, list[int]]] = []
    for live in rules:
        try:
            mask = fire_mask(live.rule, cache)
        except ValueError as error:  # e.g. a forecast rule with no stored forecasts yet
            logger.debug("rule %d not evaluated: %s", live.id, error)
            continue
        hits = new_positions[mask[new_positions]]
        if len(hits) == 0:
            continue
        # Armed: only bars that closed after the rule was created or last edited. Expired:
        # no bar that closed after the expiry.
        hits = hits[closes_at[hits] > int(live.armed_at.timestamp())]
        if live.expires_at is not None:
            hits = hits[closes_at[hits] <= int(live.expires_at.timestamp())]
        positions = throttle(hits, cache.ts, cooldown_s=live.cooldown_s,
                             one_shot=live.one_shot, last_fired_ts=live.last_fired_ts)
        if positions:
            out.append((live, positions))
    return out


def _insert_ignore(connection: Connection, table: Any, values: dict[str, Any],
                   keys: list[str]) -> int | None:
    """Insert unless the unique key exists; the new primary key, or None when it did."""
    dialect = connection.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing(
        index_elements=keys).returning(table.c.id)
    row = connection.execute(statement).first()
    return int(row[0]) if row is not None else None


def _store_events(connection: Connection, live: LiveRule, cache: SeriesCache,
                  positions: list[int], now: datetime, report: EvaluationReport) -> None:
    # Re-read the rule under a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    # serialises writers): another worker may have fired or disabled it since we loaded it.
    current = connection.execute(select(alert_rules.c.active, alert_rules.c.last_fired_ts)
                                 .where(alert_rules.c.id == live.id).with_for_update()).first()
    if current is None or not current.active:
        return
    positions = throttle(positions, cache.ts, cooldown_s=live.cooldown_s,
                         one_shot=live.one_shot, last_fired_ts=current.last_fired_ts)
    for position in positions:
        bar_ts = int(cache.ts[position])
        payload = {"rule_id": live.id, "rule": live.name, "rule_type": live.rule.rule_type,
                   "symbol": live.symbol, "interval": live.interval,
                   "bar": cache.index[position].isoformat(), "bar_ts": bar_ts,
                   "params": dict(live.rule.params), **describe(live.rule, cache, position)}
        payload["message"] = f"{live.symbol} {live.interval}: {payload['message']}"
        event_id = _insert_ignore(connection, alert_events, {
            "rule_id": live.id, "owner_id": live.owner_id, "bar_ts": bar_ts,
            "symbol": live.symbol, "interval": live.interval,
            "payload_json": json.dumps(payload, default=float), "created_at": now},
            ["rule_id", "bar_ts"])
        if event_id is None:
            continue  # another worker stored this (rule, bar) first: it owns the deliveries
        report.events.append(event_id)
        for channel in live.channels:
            delivery = {"event_id": event_id, "owner_id": live.owner_id, "channel": channel,
                        "state": "pending", "attempts": 0, "max_attempts": 0,
                        "next_attempt_at": now, "created_at": now, "updated_at": now}
            delivery_id = _insert_ignore(connection, notification_deliveries, delivery,
                                         ["event_id", "channel"])
            if delivery_id is not None and channel in WORKER_CHANNELS:
                report.deliveries.append((delivery_id, channel))
        values: dict[str, Any] = {"last_fired_ts": bar_ts, "updated_at": now}
        if live.one_shot:
            values["active"] = False
        connection.execute(update(alert_rules).where(alert_rules.c.id == live.id).values(
            **values))
        live.last_fired_ts = bar_ts


def _expire(connection: Connection, rules: list[LiveRule], now: datetime,
            report: EvaluationReport) -> None:
    expired = [r.id for r in rules if r.expires_at is not None and r.expires_at <= now]
    if expired:
        connection.execute(update(alert_rules).where(alert_rules.c.id.in_(expired)).values(
            active=False, updated_at=now))
        report.expired += len(expired)


def _advance(connection: Connection, symbol: str, interval: str, through: int,
             now: datetime) -> None:
    dialect = connection.dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = alert_watch_state
    statement = module.insert(table).values(symbol=symbol, interval=interval,
                                            evaluated_through_ts=through, evaluated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["symbol", "interval"],
        set_={"evaluated_through_ts": through, "evaluated_at": now},
        where=table.c.evaluated_through_ts < through)
    connection.execute(statement)
