"""Evaluate every active rule on the bars that closed since the last check; store events.

The path per (symbol, interval) with active rules: read the newest bars from the cache once,
share indicator series among all its rules (``ml.alerts.rules.SeriesCache``), find the new closed
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
from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ml.alerts.rules import (
    ForecastTable,
    Rule,
    SeriesCache,
    describe,
    fire_matrix,
    parse_rule,
    throttle,
)
from ml.alerts.store import WORKER_CHANNELS, now_utc, utc
from ml.data.intervals import interval_seconds
from ml.db import write_transaction
from ml.db.schema import (
    alert_events,
    alert_rules,
    alert_watch_state,
    notification_deliveries,
)

logger = logging.getLogger(__name__)

MAX_NEW_BARS = 500  # after a long outage, evaluate at most this many missed bars per series
FIRST_READ_NEW = 8  # bars read beyond the look-back: enough for the usual one new bar


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
    lookback: int = 0  # bars the rule needs before the newest one (parsed once per definition)


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
    parsed: dict[tuple[str, str], tuple[Rule, int]] = {}  # shared definitions: parse once
    channel_lists: dict[str, tuple[str, ...]] = {}
    groups: dict[tuple[str, str], list[LiveRule]] = defaultdict(list)
    for row in connection.execute(query):
        key = (row.symbol, row.interval)
        if wanted is not None and key not in wanted:
            continue
        definition = (row.rule_type, row.params_json)
        known = parsed.get(definition)
        if known is None:
            try:
                rule = parse_rule(row.rule_type, json.loads(row.params_json))
            except ValueError as error:
                logger.error("alert rule %d is invalid and skipped: %s", row.id, error)
                continue
            known = parsed[definition] = (rule, rule.lookback())
        channels = channel_lists.get(row.channels_json)
        if channels is None:
            channels = channel_lists[row.channels_json] = tuple(json.loads(row.channels_json))
        groups[key].append(LiveRule(
            row.id, row.owner_id, row.name, row.symbol, row.interval, known[0], channels,
            int(row.cooldown_s), bool(row.one_shot), utc(row.expires_at), row.last_fired_ts,
            utc(row.created_at) or now_utc(), known[1]))
    return groups


READ_BARS_SQL = ("SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = %s AND "
                 "interval = %s ORDER BY ts DESC LIMIT %s")


def read_bars(connection: Connection, symbol: str, interval: str, rows: int) -> pd.DataFrame:
    """The newest ``rows`` cached bars (the cache holds closed bars only), ascending.

    Plain SQL through the driver: this runs once per watched series on every check, and
    statement compilation would cost more than the read.
    """
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(READ_BARS_SQL.replace("%s", marker), (symbol, interval, int(rows)))
        result = cursor.fetchall()  # plain tuples: numpy reads them 20x faster than Rows
    finally:
        cursor.close()
    values = np.array(result[::-1], dtype=np.float64).reshape(-1, 6)
    index = pd.DatetimeIndex(values[:, 0].astype("datetime64[s]"), name="timestamp"
                             ).tz_localize("UTC")
    return pd.DataFrame(values[:, 1:], index=index,
                        columns=["open", "high", "low", "close", "volume"])


def forecast_table(payloads: Iterable[dict[str, Any]]) -> ForecastTable | None:
    """Stored forecast payloads (``ml.forecast.store``) as a table of log returns.

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
        from ml.forecast import forecast_history
    except ImportError:  # the forecast store is not installed: forecast rules stay silent
        return None
    return forecast_table(forecast_history(engine, symbol, interval, limit=rows))


@dataclass
class _Pending:
    """Writes gathered from several series, flushed in one transaction: thousands of rules
    cost a few statements, and the database is locked briefly."""

    fired: list[tuple[LiveRule, list[int], SeriesCache]] = field(default_factory=list)
    advances: list[dict[str, Any]] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.advances)


FLUSH_EVERY = 250  # series per write transaction


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
    pending = _Pending()
    reader = engine.connect()  # one connection for all reads: a checkout per series costs more
    try:
        for (symbol, interval), rules in groups.items():
            report.series += 1
            report.rules += len(rules)
            try:
                _evaluate_series(engine, reader, (symbol, interval), rules,
                                 states.get((symbol, interval)), now, report, pending,
                                 reevaluate_bars)
            except Exception as error:  # noqa: BLE001 - one bad series must not stop the rest
                logger.exception("alert evaluation of %s %s failed", symbol, interval)
                report.errors.append(f"{symbol} {interval}: {error}")
            if len(pending) >= FLUSH_EVERY:
                reader.rollback()  # end the read snapshot before writing
                _flush(engine, pending, now, report)
                pending = _Pending()
    finally:
        reader.close()
    _flush(engine, pending, now, report)
    return report


def _flush(engine: Engine, pending: _Pending, now: datetime, report: EvaluationReport) -> None:
    if not (pending.fired or pending.advances or pending.expired):
        return
    with write_transaction(engine) as connection:
        if pending.fired:
            _store_events(connection, pending.fired, now, report)
        if pending.expired:
            connection.execute(update(alert_rules).where(
                alert_rules.c.id.in_(pending.expired)).values(active=False, updated_at=now))
            report.expired += len(pending.expired)
        if pending.advances:
            _advance(connection, pending.advances)


def _evaluate_series(engine: Engine, reader: Connection, series: tuple[str, str],
                     rules: list[LiveRule], evaluated_through: int | None, now: datetime,
                     report: EvaluationReport, pending: _Pending,
                     reevaluate_bars: int = 0) -> None:
    symbol, interval = series
    length = interval_seconds(interval)
    lookback = max(rule.lookback for rule in rules)
    wanted = lookback + max(1, reevaluate_bars, FIRST_READ_NEW)
    bars = read_bars(reader, symbol, interval, wanted)
    if evaluated_through is not None and len(bars) == wanted and \
            int((bars.index.as_unit("s").asi8 <= evaluated_through).sum()) < lookback:
        # More new bars than the first read held (a worker was down): read them all.
        bars = read_bars(reader, symbol, interval, lookback + MAX_NEW_BARS)
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
    pending.expired += [r.id for r in rules if r.expires_at is not None and r.expires_at <= now]
    if len(new_positions) == 0:
        return
    report.new_bars += len(new_positions)
    pending.fired += [(live, positions, cache) for live, positions in
                      _firings(rules, cache, new_positions, closes_at, report)]
    pending.advances.append({"symbol": symbol, "interval": interval,
                             "evaluated_through_ts": int(cache.ts[new_positions[-1]]),
                             "evaluated_at": now})


def _firings(rules: list[LiveRule], cache: SeriesCache, new_positions: np.ndarray,
             closes_at: np.ndarray, report: EvaluationReport
             ) -> list[tuple[LiveRule, list[int]]]:
    out: list[tuple[LiveRule, list[int]]] = []
    usable = []
    for live in rules:
        if live.rule.is_forecast and cache.forecasts is None:
            continue  # no stored forecasts for this series yet: nothing to compare
        usable.append(live)
    try:
        matrix = fire_matrix([live.rule for live in usable], cache, new_positions)
    except ValueError as error:  # a forecast rule beyond the stored horizon, say
        logger.warning("rules on this series not evaluated: %s", error)
        report.errors.append(str(error))
        return out
    for row in np.flatnonzero(matrix.any(axis=1)):
        live = usable[row]
        hits = new_positions[matrix[row]]
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


def _dialect_insert(connection: Connection, table: Any) -> Any:
    module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _current(connection: Connection, fired: list[tuple[LiveRule, list[int], SeriesCache]]
             ) -> list[tuple[LiveRule, list[int], SeriesCache]]:
    """Re-read the fired rules under row locks (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    serialises writers): another worker may have fired or disabled one since we loaded it."""
    ids = sorted({live.id for live, _, _ in fired})
    rows = {row.id: row for row in connection.execute(
        select(alert_rules.c.id, alert_rules.c.active, alert_rules.c.last_fired_ts)
        .where(alert_rules.c.id.in_(ids)).order_by(alert_rules.c.id).with_for_update())}
    kept = []
    for live, positions, cache in fired:
        row = rows.get(live.id)
        if row is None or not row.active:
            continue
        if row.last_fired_ts != live.last_fired_ts:
            positions = throttle(positions, cache.ts, cooldown_s=live.cooldown_s,
                                 one_shot=live.one_shot, last_fired_ts=row.last_fired_ts)
        if positions:
            kept.append((live, positions, cache))
    return kept


def _event_row(live: LiveRule, cache: SeriesCache, position: int,
               now: datetime) -> dict[str, Any]:
    bar_ts = int(cache.ts[position])
    payload = {"rule_id": live.id, "rule": live.name, "rule_type": live.rule.rule_type,
               "symbol": live.symbol, "interval": live.interval,
               "bar": cache.index[position].isoformat(), "bar_ts": bar_ts,
               "params": dict(live.rule.params), "channels": list(live.channels),
               **describe(live.rule, cache, position)}
    payload["message"] = f"{live.symbol} {live.interval}: {payload['message']}"
    return {"rule_id": live.id, "owner_id": live.owner_id, "bar_ts": bar_ts,
            "symbol": live.symbol, "interval": live.interval,
            "payload_json": json.dumps(payload, default=float), "created_at": now}


def _store_events(connection: Connection,
                  fired: list[tuple[LiveRule, list[int], SeriesCache]], now: datetime,
                  report: EvaluationReport) -> None:
    """Insert the events with ``ON CONFLICT DO NOTHING RETURNING``: only the events this
    transaction created come back, and only those get deliveries."""
    fired = _current(connection, fired)
    if not fired:
        return
    rows = [_event_row(live, cache, position, now)
            for live, positions, cache in fired for position in positions]
    # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs from one
    # cached compiled statement (a .values(list) statement would be compiled every time).
    inserted = connection.execute(
        _dialect_insert(connection, alert_events)
        .on_conflict_do_nothing(index_elements=["rule_id", "bar_ts"])
        .returning(alert_events.c.id, alert_events.c.rule_id, alert_events.c.bar_ts),
        rows).all()
    by_rule = {live.id: live for live, _, _ in fired}
    deliveries = []
    newest: dict[int, int] = {}
    for event_id, rule_id, bar_ts in sorted(inserted):
        live = by_rule[rule_id]
        report.events.append(int(event_id))
        newest[rule_id] = max(newest.get(rule_id, bar_ts), bar_ts)
        deliveries += [{"event_id": event_id, "owner_id": live.owner_id, "channel": channel,
                        "state": "pending", "attempts": 0, "max_attempts": 0,
                        "next_attempt_at": now, "created_at": now, "updated_at": now}
                       for channel in live.channels]
    if deliveries:
        created = connection.execute(
            _dialect_insert(connection, notification_deliveries)
            .on_conflict_do_nothing(index_elements=["event_id", "channel"])
            .returning(notification_deliveries.c.id, notification_deliveries.c.channel),
            deliveries).all()
        report.deliveries += sorted((int(i), str(c)) for i, c in created
                                    if c in WORKER_CHANNELS)
    if newest:
        connection.execute(
            update(alert_rules).where(alert_rules.c.id == bindparam("rule"))
            .values(last_fired_ts=bindparam("fired"), updated_at=now),
            [{"rule": rule_id, "fired": ts} for rule_id, ts in newest.items()])
        one_shot = [rule_id for rule_id in newest if by_rule[rule_id].one_shot]
        if one_shot:
            connection.execute(update(alert_rules).where(alert_rules.c.id.in_(one_shot))
                               .values(active=False))
        for rule_id, ts in newest.items():
            by_rule[rule_id].last_fired_ts = ts


def _advance(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Move each series' evaluated-through mark forward (never back)."""
    table = alert_watch_state
    statement = _dialect_insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=["symbol", "interval"],
        set_={"evaluated_through_ts": statement.excluded.evaluated_through_ts,
              "evaluated_at": statement.excluded.evaluated_at},
        where=table.c.evaluated_through_ts < statement.excluded.evaluated_through_ts)
    connection.execute(statement, rows)
