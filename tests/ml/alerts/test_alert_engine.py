"""The live evaluation against a migrated database: new bars only, one event per (rule, bar),
deliveries per channel, cooldown, one-shot, expiry and arming, owners kept apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select

from ml.alerts.engine import evaluate, forecast_table
from ml.alerts.rules import SeriesCache, fire_mask, parse_rule
from ml.alerts.store import (
    check_rule,
    get_rule,
    list_events,
    list_rules,
    mark_read,
    unread_count,
)
from ml.db import write_transaction
from ml.db.schema import alert_events, alert_watch_state, notification_deliveries
from tests.workers.alert_helpers import add_rule, bar_frame, make_user, store_bars

LATER = datetime(2030, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(any_engine: Engine) -> Engine:
    """SQLite, and PostgreSQL too when FORESIGHT_TEST_POSTGRES_URL is set."""
    return any_engine
CLOSES = [100.0, 99.0, 98.0, 101.0, 102.0, 99.0, 97.0, 103.0]


def _day(n: int) -> int:
    return int(pd.Timestamp("2024-01-01", tz="UTC").timestamp()) + 86400 * n


def _events(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return [(r.rule_id, r.bar_ts) for r in connection.execute(
            select(alert_events).order_by(alert_events.c.id))]


def test_new_bars_fire_once_with_deliveries_per_channel(engine: Engine) -> None:
    user = make_user(engine)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES[:3]))
    rule = add_rule(engine, user, params={"condition": "crosses_up", "level": 100},
                    channels=("in_app", "browser", "webhook"))
    first = evaluate(engine, LATER)
    assert (first.series, first.rules, first.new_bars, first.events) == (1, 1, 1, [])
    # Five more bars arrive: 101 at day 3 and 103 at day 7 cross above 100.
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES).iloc[3:])
    second = evaluate(engine, LATER)
    assert second.new_bars == 5
    assert _events(engine) == [(rule, _day(3)), (rule, _day(7))]
    # in_app and webhook are worker jobs; browser is delivered by the page.
    assert sorted(channel for _, channel in second.deliveries) == ["in_app", "in_app",
                                                                   "webhook", "webhook"]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(
            notification_deliveries)).scalar() == 6
    event = list_events(engine, user)[0]
    assert event["payload"]["message"] == "TEST 1d: close 103 crossed above 100"
    assert event["payload"]["bar"].startswith("2024-01-08")
    # Nothing new: nothing happens.
    assert evaluate(engine, LATER).events == []


def test_a_second_evaluation_of_the_same_bars_stores_nothing(engine: Engine) -> None:
    user = make_user(engine)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES[:3]))
    add_rule(engine, user, params={"condition": "above", "level": 100})
    evaluate(engine, LATER)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES).iloc[3:])
    first = evaluate(engine, LATER)
    assert len(first.events) == 3  # days 3, 4 and 7 close above 100
    # As if another worker had read the old state: the unique key keeps one event per bar.
    with write_transaction(engine) as connection:
        connection.execute(delete(alert_watch_state))
    again = evaluate(engine, LATER)
    assert again.events == [] and again.deliveries == []
    assert len(_events(engine)) == 3


def test_cooldown_one_shot_and_expiry(engine: Engine) -> None:
    user = make_user(engine)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES[:1]))
    cooled = add_rule(engine, user, params={"condition": "above", "level": 100},
                      cooldown_s=3 * 86400)
    once = add_rule(engine, user, params={"condition": "above", "level": 100}, one_shot=True)
    expiring = add_rule(engine, user, params={"condition": "above", "level": 100},
                        expires_at=pd.Timestamp("2024-01-05T12:00", tz="UTC").to_pydatetime())
    evaluate(engine, datetime(2024, 1, 2, tzinfo=UTC))
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES).iloc[1:])
    # Checked late (day 9): bars that closed before the expiry still count, then it expires.
    report = evaluate(engine, datetime(2024, 1, 9, tzinfo=UTC))
    fired = _events(engine)
    # Above 100 at days 3, 4, 7. Cooldown 3 days: 3 and 7 (4 is too soon).
    assert [ts for rule, ts in fired if rule == cooled] == [_day(3), _day(7)]
    assert [ts for rule, ts in fired if rule == once] == [_day(3)]
    # Expiry on 5 January at noon: the bar of 4 January (index 3) closed at midnight before
    # it and fires; the bar of 5 January closes on the 6th, after it.
    assert [ts for rule, ts in fired if rule == expiring] == [_day(3)]
    assert get_rule(engine, user, once)["active"] is False
    assert get_rule(engine, user, expiring)["active"] is False
    assert report.expired == 1
    assert get_rule(engine, user, cooled)["last_fired_ts"] == _day(7)


def test_rules_fire_only_on_bars_that_close_after_they_were_made(engine: Engine) -> None:
    user = make_user(engine)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES[:4]))
    # Created after the bar of 4 January closed (5 January 00:00): it is history.
    add_rule(engine, user, params={"condition": "above", "level": 100},
             created=pd.Timestamp("2024-01-05T06:00", tz="UTC").to_pydatetime())
    assert evaluate(engine, LATER).events == []
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES).iloc[4:5])
    assert len(evaluate(engine, LATER).events) == 1


def test_unclosed_bar_is_not_evaluated(engine: Engine) -> None:
    user = make_user(engine)
    store_bars(engine, "TEST", "1h", bar_frame([99.0, 101.0], start="2024-01-01",
                                                freq="1h"))
    add_rule(engine, user, interval="1h", params={"condition": "above", "level": 100})
    # At 01:30 the 01:00 bar is still open: nothing fires.
    assert evaluate(engine, datetime(2024, 1, 1, 1, 30, tzinfo=UTC)).events == []
    assert len(evaluate(engine, datetime(2024, 1, 1, 2, 0, tzinfo=UTC)).events) == 1


def test_indicator_rule_on_cached_bars(engine: Engine) -> None:
    user = make_user(engine)
    closes = [100.0] * 60 + [95.0] * 10
    store_bars(engine, "TEST", "1d", bar_frame(closes))
    rule = add_rule(engine, user, rule_type="indicator", params={
        "left": "close", "condition": "crosses_up",
        "right": {"indicator": "sma", "params": {"period": 50}}})
    evaluate(engine, LATER)
    store_bars(engine, "TEST", "1d", bar_frame(closes + [105.0]).iloc[-1:])
    evaluate(engine, LATER)
    assert _events(engine) == [(rule, _day(70))]
    payload = list_events(engine, user)[0]["payload"]
    assert "close 105 crossed above sma_50" in payload["message"]
    assert payload["right"] == pytest.approx((39 * 100 + 10 * 95 + 105) / 50)


def test_events_are_per_owner_with_unread_count(engine: Engine) -> None:
    alice, bob = make_user(engine, "alice"), make_user(engine, "bob")
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES[:3]))
    add_rule(engine, alice, params={"condition": "above", "level": 100})
    add_rule(engine, bob, params={"condition": "below", "level": 100})
    evaluate(engine, LATER)
    store_bars(engine, "TEST", "1d", bar_frame(CLOSES).iloc[3:])
    evaluate(engine, LATER)
    # Alice: days 3, 4, 7. Bob: day 2 (the newest bar at the first check) and days 5, 6.
    assert unread_count(engine, alice)[0] == 3
    assert unread_count(engine, bob)[0] == 3
    newest = unread_count(engine, alice)[1]
    assert [e["id"] for e in list_events(engine, alice, after_id=newest - 1)] == [newest]
    assert {e["payload"]["rule_type"] for e in list_events(engine, bob)} == {"price"}
    assert mark_read(engine, alice) == 3
    assert unread_count(engine, alice)[0] == 0 and unread_count(engine, bob)[0] == 3
    assert len(list_rules(engine, alice)) == 1 and get_rule(engine, bob, 1) is None


def test_forecast_payloads_become_a_table() -> None:
    close = 100.0
    payloads = [
        {"target": "returns", "last_bar_ts": _day(1), "last_close": close,
         "made_at": "2024-01-02T00:01:00+00:00", "central": [0.01, 0.02],
         "bands": {"0.95": {"lower": [close * np.exp(-0.01), close * np.exp(-0.02)],
                            "upper": [close * np.exp(0.03), close * np.exp(0.06)]}}},
        # The same origin from a newer model (after a promotion) wins.
        {"target": "returns", "last_bar_ts": _day(1), "last_close": close,
         "made_at": "2024-01-02T00:05:00+00:00", "central": [-0.01, -0.02],
         "bands": {"0.95": {"lower": [close * np.exp(-0.03), close * np.exp(-0.06)],
                            "upper": [close * np.exp(0.01), close * np.exp(0.02)]}}},
        {"target": "volatility", "last_bar_ts": _day(2), "central": [0.2]},
    ]
    table = forecast_table(payloads)
    assert table is not None and len(table.origins) == 1
    assert table.point[0].tolist() == pytest.approx([-0.01, -0.02])
    lower, upper = table.intervals[0.95]
    assert lower[0].tolist() == pytest.approx([-0.03, -0.06])
    assert upper[0].tolist() == pytest.approx([0.01, 0.02])
    bars = bar_frame([100.0, 100.0, 100.0])
    cache = SeriesCache(bars, table)
    rule = parse_rule("forecast_move", {"horizon": 2, "percent": 1.5, "direction": "down"})
    assert np.flatnonzero(fire_mask(rule, cache)).tolist() == [1]
    assert forecast_table([]) is None


@pytest.mark.parametrize(("values", "field", "text"), [
    ({"symbol": "NOPE"}, "symbol", "unknown symbol"),
    ({"params": {"condition": "above", "level": "ten"}}, "level", "must be a number"),
    ({"cooldown_s": "-5"}, "cooldown_s", "cannot be negative"),
    ({"cooldown_s": "soon"}, "cooldown_s", "number of seconds"),
    ({"channels": []}, "channels", "at least one"),
    ({"interval": "7m"}, "interval", "choose one of"),
    ({"expires_at": "tomorrow"}, "expires_at", "date and time"),
])
def test_form_errors_are_by_field(values: dict, field: str, text: str) -> None:
    base = {"symbol": "TEST", "interval": "1d", "rule_type": "price",
            "params": {"condition": "above", "level": 100}, "channels": ["in_app"],
            "cooldown_s": 0}
    rule, errors = check_rule({**base, **values}, known_symbol=lambda s: s == "TEST")
    assert rule is None
    assert list(errors) == [field] and text in errors[field]
    ok, none = check_rule(base, known_symbol=lambda s: s == "TEST")
    assert ok is not None and none == {}
    assert json.dumps(ok.rule.params)


def _model_version(engine: Engine, symbol: str) -> int:
    """A registry row for stored forecasts to point at (no model is loaded here)."""
    from sqlalchemy import insert

    from ml.db.schema import model_versions

    when = datetime(2024, 1, 1, tzinfo=UTC)
    with write_transaction(engine) as connection:
        key = connection.execute(insert(model_versions).values(
            symbol=symbol, interval="1d", target="returns", version=1, kind="lstm",
            config_json="{}", features_json="[]", data_first=when, data_last=when, data_rows=1,
            data_hash="0" * 64, code_version="test", metrics_json="{}", created_at=when,
            keras_bytes=b"", keras_sha256="0" * 64, state_json="{}")).inserted_primary_key
    assert key is not None
    return int(key[0])


def test_forecast_rules_read_the_forecast_store(engine: Engine) -> None:
    from ml.forecast.store import build_payload, save_forecast

    user = make_user(engine)
    closes = [100.0, 100.0, 100.0, 100.0]
    bars = bar_frame(closes)
    store_bars(engine, "FC", "1d", bars.iloc[:2])
    version = _model_version(engine, "FC")

    def forecast(position: int, central: float) -> None:
        close = closes[position]
        payload = build_payload("FC", "1d", version, {
            "origin": bars.index[position].isoformat(), "last_close": close,
            "target": "returns", "horizons": [1, 2], "central": [central / 2, central],
            "prices": [close * np.exp(central / 2), close * np.exp(central)],
            "bands": {"0.95": {"lower": [close * np.exp(central / 2 - 0.02),
                                         close * np.exp(central - 0.03)],
                               "upper": [close * np.exp(central / 2 + 0.02),
                                         close * np.exp(central + 0.03)]}}})
        save_forecast(engine, payload)

    forecast(0, 0.01)
    forecast(1, 0.01)
    move = add_rule(engine, user, symbol="FC", rule_type="forecast_move",
                    params={"horizon": 2, "percent": 4, "direction": "up"})
    flip = add_rule(engine, user, symbol="FC", rule_type="forecast_flip",
                    params={"horizon": 2})
    evaluate(engine, LATER)
    # Day 2: the model now says +5% over two bars (a flip? no: both up). Day 3: -2% (a flip).
    forecast(2, 0.05)
    forecast(3, -0.02)
    store_bars(engine, "FC", "1d", bars.iloc[2:])
    report = evaluate(engine, LATER)
    assert report.errors == []
    assert _events(engine) == [(move, _day(2)), (flip, _day(3))]
    messages = [e["payload"]["message"] for e in list_events(engine, user)]
    assert messages == ["FC 1d: forecast direction flipped to down (-1.98%)",
                        "FC 1d: forecast: +5.13% over 2 bars"]
