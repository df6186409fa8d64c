"""Every rule type fires on a fixture series at the bar where it must, and nowhere else.

Expected bars come from the construction of each series or from an independent reference
implementation written here (Wilder's RSI, pandas' EWM for MACD), never from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.alerts.rules import (
    AlertRuleError,
    ForecastTable,
    SeriesCache,
    fire_mask,
    fire_matrix,
    parse_rule,
    probability_beyond,
    replay,
    throttle,
)


def bars_from_close(close: list[float] | np.ndarray, freq: str = "1D") -> pd.DataFrame:
    close = np.asarray(close, dtype=float)
    index = pd.date_range("2024-01-01", periods=len(close), freq=freq, tz="UTC",
                          name="timestamp")
    return pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999,
                         "close": close, "volume": np.full(len(close), 1000.0)}, index=index)


def fired(rule_type: str, params: dict, bars: pd.DataFrame,
          forecasts: ForecastTable | None = None) -> list[int]:
    rule = parse_rule(rule_type, params)
    return [int(i) for i in np.flatnonzero(fire_mask(rule, SeriesCache(bars, forecasts)))]


STEPS = [10, 10, 10, 11, 12, 11, 9, 8, 10, 12]


@pytest.mark.parametrize(("condition", "expected"), [
    ("above", [3, 4, 5, 9]),
    ("below", [0, 1, 2, 6, 7, 8]),
    ("crosses_up", [3, 9]),
    ("crosses_down", [6]),
])
def test_price_level_conditions(condition: str, expected: list[int]) -> None:
    assert fired("price", {"condition": condition, "level": 10.5}, bars_from_close(STEPS)) == \
        expected


def test_price_touching_the_level_is_not_a_cross() -> None:
    # 10 -> 10.5 -> 11: "crosses up 10.5" fires on the bar that goes strictly above it.
    bars = bars_from_close([10, 10.5, 11, 10.5, 10])
    assert fired("price", {"condition": "crosses_up", "level": 10.5}, bars) == [2]
    assert fired("price", {"condition": "crosses_down", "level": 10.5}, bars) == [4]


def test_price_move_within_window() -> None:
    # Against the lowest close of the previous 3 bars: bar 4 (12 vs 10.2) is +17.6%, bar 5
    # (12.1 vs 10.2) +18.6%, bar 6 (12.2 vs 10.8) only +13%.
    close = [10, 10.5, 10.2, 10.8, 12, 12.1, 12.2, 10.5, 10.4]
    bars = bars_from_close(close)
    assert fired("price_move", {"percent": 15, "window": 3, "direction": "up"}, bars) == [4, 5]
    # Bar 7: 10.5 vs the highest of bars 4..6 (12.2) is -13.9%; bar 8 (10.4) is -14.8%.
    assert fired("price_move", {"percent": 14, "window": 3, "direction": "down"}, bars) == [8]
    assert fired("price_move", {"percent": 10, "window": 3, "direction": "down"}, bars) == \
        [7, 8]
    assert fired("price_move", {"percent": 15, "window": 3}, bars) == [4, 5]
    # The window must be full before anything fires.
    assert fired("price_move", {"percent": 1, "window": 20}, bars) == []


def wilder_rsi(close: np.ndarray, period: int = 14) -> np.ndarray:
    """Reference RSI, seeded with simple means as TA-Lib does."""
    delta = np.diff(close)
    gain, loss = np.clip(delta, 0, None), np.clip(-delta, 0, None)
    out = np.full(len(close), np.nan)
    avg_gain, avg_loss = gain[:period].mean(), loss[:period].mean()
    out[period] = 100 * avg_gain / (avg_gain + avg_loss)
    for i in range(period, len(delta)):
        avg_gain = (avg_gain * (period - 1) + gain[i]) / period
        avg_loss = (avg_loss * (period - 1) + loss[i]) / period
        out[i + 1] = 100 * avg_gain / (avg_gain + avg_loss)
    return out


def test_rsi_above_70_fires_on_the_seventh_rising_bar() -> None:
    # 300 alternating bars hold RSI near 50; then every bar rises by 1. Wilder's smoothing
    # (1/14) puts RSI above 70 on the 7th rising bar: 1 - 0.48 * (13/14)^7 = 0.70.
    close = list(100 + np.tile([0.0, 1.0], 150)) + [101.0 + k for k in range(1, 16)]
    bars = bars_from_close(close)
    reference = wilder_rsi(np.asarray(close))
    expected = [int(i) for i in np.flatnonzero(np.diff((reference > 70).astype(int)) == 1) + 1]
    assert expected == [300 + 6]
    params = {"left": {"indicator": "rsi", "params": {"period": 14}}, "condition": "crosses_up",
              "level": 70}
    assert fired("indicator", params, bars) == expected
    above = fired("indicator", {**params, "condition": "above"}, bars)
    assert above[0] == 306 and above == list(range(306, len(close)))


def test_close_crosses_sma_50() -> None:
    # Flat at 100 for 60 bars, 95 for 10 bars (below the SMA), then 105: crosses up at bar 70.
    close = [100.0] * 60 + [95.0] * 10 + [105.0] * 5 + [80.0] * 3
    bars = bars_from_close(close)
    params = {"left": "close", "condition": "crosses_up",
              "right": {"indicator": "sma", "params": {"period": 50}}}
    assert fired("indicator", params, bars) == [70]
    down = {**params, "condition": "crosses_down"}
    assert fired("indicator", down, bars) == [60, 75]


def test_macd_crosses_signal_matches_a_pandas_reference() -> None:
    t = np.arange(400)
    close = 100 + 8 * np.sin(2 * np.pi * t / 60) + 0.02 * t
    bars = bars_from_close(close)
    series = pd.Series(close)
    macd = series.ewm(span=12, adjust=False).mean() - series.ewm(span=26, adjust=False).mean()
    signal = macd.ewm(span=9, adjust=False).mean()
    above = (macd > signal).to_numpy()
    crosses = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    expected = [int(i) for i in crosses if i > 200]  # after both warm-ups have faded
    assert len(expected) >= 2
    params = {"left": {"indicator": "macd", "output": "macd_12_26_9"},
              "condition": "crosses_up",
              "right": {"indicator": "macd", "output": "macd_signal_12_26_9"}}
    assert [i for i in fired("indicator", params, bars) if i > 200] == expected


def make_forecasts(bars: pd.DataFrame, point: list[float], sigma: float = 0.01,
                   horizons: int = 2) -> ForecastTable:
    z = 1.959963984540054
    values = np.repeat(np.asarray(point, dtype=float)[:, None], horizons, axis=1)
    return ForecastTable(bars.index, values, {0.95: (values - z * sigma, values + z * sigma)})


def test_forecast_move_beyond_percent() -> None:
    bars = bars_from_close([100.0] * 6)
    table = make_forecasts(bars, [0.0, 0.01, 0.04, -0.05, 0.02, np.nan])
    assert fired("forecast_move", {"horizon": 2, "percent": 3, "direction": "up"}, bars,
                 table) == [2]
    assert fired("forecast_move", {"horizon": 2, "percent": 3}, bars, table) == [2, 3]
    assert fired("forecast_move", {"horizon": 2, "percent": 3, "direction": "down"}, bars,
                 table) == [3]


def test_forecast_probability_from_the_interval() -> None:
    # Mean 0, sigma 0.01: a level one sigma above the close has P(above) = 1 - Phi(1) = 0.1587.
    bars = bars_from_close([100.0] * 3)
    table = make_forecasts(bars, [0.0, 0.0, 0.0])
    level = 100 * math.exp(0.01)
    p = probability_beyond(table, bars["close"].to_numpy(), 1, level, "above")
    assert p == pytest.approx([0.158655] * 3, abs=1e-5)
    rule = {"horizon": 1, "level": level, "side": "above", "probability": 0.15}
    assert fired("forecast_probability", rule, bars, table) == [0, 1, 2]
    assert fired("forecast_probability", {**rule, "probability": 0.2}, bars, table) == []
    below = {**rule, "side": "below", "probability": 0.84}
    assert fired("forecast_probability", below, bars, table) == [0, 1, 2]


def test_price_leaves_the_95_band() -> None:
    # Forecast at bar t for t+1: 0 +- 1.96%. Bar 3 jumps 5% (outside); bar 5 drops 3% (outside).
    close = [100.0, 100.5, 100.0, 105.0, 105.5, 102.3, 102.0]
    bars = bars_from_close(close)
    table = make_forecasts(bars, [0.0] * len(close))
    assert fired("forecast_band", {"horizon": 1}, bars, table) == [3, 5]
    # Without the 95% interval the band comes from the normal assumption with the 80% one.
    z80 = 1.2815515655446004
    values = np.zeros((len(close), 2))
    only80 = ForecastTable(bars.index, values, {0.8: (values - z80 * 0.01, values + z80 * 0.01)})
    assert fired("forecast_band", {"horizon": 1, "coverage": 0.95}, bars, only80) == [3, 5]


def test_predicted_direction_flips() -> None:
    bars = bars_from_close([100.0] * 7)
    table = make_forecasts(bars, [0.01, 0.02, -0.01, -0.02, 0.0, 0.03, 0.01])
    # 0 is no direction: the flip through 0 at bars 4-5 is not a flip between neighbours.
    assert fired("forecast_flip", {"horizon": 1}, bars, table) == [2]


def test_replay_scores_forecast_rules() -> None:
    close = [100.0, 101.0, 100.0, 99.0, 100.0, 103.0]
    bars = bars_from_close(close)
    # Forecast up at bars 0, 2 and 4 (5% moves): right at 0 (101 > 100), wrong at 2 (99 < 100),
    # right at 4 (103 > 100). Bar 5 fires too but its next bar has not closed: unscored.
    table = make_forecasts(bars, [0.05, 0.0, 0.05, 0.0, 0.05, 0.05])
    result = replay(parse_rule("forecast_move", {"horizon": 1, "percent": 4}), bars, table)
    assert [f.position for f in result.firings] == [0, 2, 4, 5]
    assert [f.outcome for f in result.firings] == [True, False, True, None]
    assert (result.right, result.scored) == (2, 3)
    assert result.hit_rate == pytest.approx(2 / 3)
    assert "predicted direction" in result.accuracy_definition


def test_replay_band_reports_coverage() -> None:
    close = [100.0, 100.5, 100.0, 105.0, 105.5, 102.3, 102.0]
    bars = bars_from_close(close)
    result = replay(parse_rule("forecast_band", {}), bars, make_forecasts(bars, [0.0] * 7))
    assert [f.position for f in result.firings] == [3, 5]
    assert (result.right, result.scored) == (4, 6)
    assert result.coverage == pytest.approx(4 / 6)


def test_replay_applies_cooldown_and_one_shot() -> None:
    bars = bars_from_close(STEPS)
    rule = parse_rule("price", {"condition": "above", "level": 10.5})
    every = replay(rule, bars)
    assert [f.position for f in every.firings] == [3, 4, 5, 9]
    assert "close 11 is above 10.5" in every.firings[0].detail["message"]
    cooled = replay(rule, bars, cooldown_s=2 * 86400)
    assert [f.position for f in cooled.firings] == [3, 5, 9]
    once = replay(rule, bars, one_shot=True)
    assert [f.position for f in once.firings] == [3]
    assert once.hit_rate is None


def test_throttle_respects_the_last_live_firing() -> None:
    ts = np.arange(10) * 60
    assert throttle([2, 3, 4], ts, cooldown_s=120, one_shot=False, last_fired_ts=60) == [3]
    assert throttle([2, 3], ts, cooldown_s=0, one_shot=True, last_fired_ts=0) == []
    with pytest.raises(ValueError, match="cooldown_s"):
        throttle([1], ts, cooldown_s=-1, one_shot=False)


def test_too_few_bars_for_an_indicator_fires_nothing() -> None:
    bars = bars_from_close([100.0, 101.0, 102.0])
    assert fired("indicator", {"left": "rsi", "condition": "above", "level": 10}, bars) == []


def test_forecast_rule_without_forecasts_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs forecasts"):
        fired("forecast_move", {"horizon": 1, "percent": 1}, bars_from_close([1.0, 2.0]))


@pytest.mark.parametrize(("rule_type", "params", "field", "text"), [
    ("price", {"condition": "above", "level": "abc"}, "level", "must be a number"),
    ("price", {"condition": "above", "level": -1}, "level", "above 0"),
    ("price", {"condition": "sideways", "level": 1}, "condition", "must be one of"),
    ("price_move", {"percent": 5, "window": 0}, "window", "between 1"),
    ("indicator", {"left": {"indicator": "nope"}, "condition": "above", "level": 1}, "left",
     "unknown indicator"),
    ("indicator", {"left": {"indicator": "rsi", "params": {"period": 0}}, "condition": "above",
                   "level": 1}, "left", "period"),
    ("indicator", {"left": {"indicator": "macd", "output": "x"}, "condition": "above",
                   "level": 1}, "left", "outputs"),
    ("forecast_probability", {"horizon": 1, "level": 1, "side": "above", "probability": 1.5},
     "probability", "between 0 and 1"),
    ("bogus", {}, "rule_type", "must be one of"),
])
def test_parse_errors_name_the_field(rule_type: str, params: dict, field: str, text: str) -> None:
    with pytest.raises(AlertRuleError, match=text) as caught:
        parse_rule(rule_type, params)
    assert caught.value.field == field


def test_parse_normalises_and_defaults() -> None:
    rule = parse_rule("indicator", {"left": "rsi", "condition": "above", "level": "70"})
    assert rule.params == {"left": {"indicator": "rsi", "params": {"period": 14},
                                    "output": "rsi_14"},
                           "condition": "above", "level": 70.0}
    assert rule.lookback() >= 3 * 14
    again = parse_rule(rule.rule_type, rule.params)
    assert again == rule


def test_fire_matrix_agrees_with_fire_mask(ohlcv: pd.DataFrame) -> None:
    close = float(ohlcv["close"].iloc[-50])
    rules = [parse_rule("price", {"condition": c, "level": close * f})
             for c in ("above", "below", "crosses_up", "crosses_down") for f in (0.97, 1.0, 1.03)]
    rules += [parse_rule("indicator", {"left": "rsi", "condition": c, "level": lv})
              for c in ("crosses_up", "below") for lv in (45, 55)]
    rules += [parse_rule("indicator", {"left": "close", "condition": "crosses_down",
                                       "right": {"indicator": "ema", "params": {"period": 10}}}),
              parse_rule("price_move", {"percent": 2, "window": 4})]
    cache = SeriesCache(ohlcv)
    positions = np.arange(len(ohlcv) - 60, len(ohlcv))
    matrix = fire_matrix(rules, cache, positions)
    expected = np.array([fire_mask(rule, SeriesCache(ohlcv))[positions] for rule in rules])
    assert matrix.any() and (matrix == expected).all()


@pytest.mark.parametrize(("text", "expected"), [
    ("close", {"column": "close"}),
    ("rsi(14)", {"indicator": "rsi", "params": {"period": 14}}),
    ("sma(period=50)", {"indicator": "sma", "params": {"period": 50}}),
    ("macd(12, 26, 9).signal", {"indicator": "macd",
                                "params": {"fast": 12, "slow": 26, "signal": 9},
                                "output": "macd_signal_12_26_9"}),
    ("bbands(20, 2.5).lower", {"indicator": "bbands", "params": {"period": 20, "stddev": 2.5},
                               "output": "bb_lower_20_2.5"}),
])
def test_series_text_round_trips(text: str, expected: dict) -> None:
    from ml.alerts.rules import series_from_text, series_to_text

    assert series_from_text(text) == expected
    rule = parse_rule("indicator", {"left": expected, "condition": "above", "level": 1})
    again = parse_rule("indicator", {"left": series_from_text(series_to_text(
        rule.params["left"])), "condition": "above", "level": 1})
    assert again == rule


@pytest.mark.parametrize(("text", "message"), [
    ("nope(3)", "unknown indicator"), ("rsi(x)", "must be an integer"),
    ("rsi(14, 3)", "at most 1"), ("1 + 2", "write a column"), ("sma(length=3)", "no parameter"),
])
def test_series_text_errors_name_the_field(text: str, message: str) -> None:
    from ml.alerts.rules import series_from_text

    with pytest.raises(AlertRuleError, match=message) as caught:
        series_from_text(text, "right")
    assert caught.value.field == "right"
