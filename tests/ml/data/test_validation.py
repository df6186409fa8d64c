"""Validation rules one by one, gaps by market calendar, outliers by robust z-score."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from ml.data.calendars import MarketCalendar, calendar_for
from ml.data.frame import standardize
from ml.data.validation import RULES, ValidationReport, validate
from tests.conftest import make_ohlcv

CRYPTO = MarketCalendar("always")
FOREX = MarketCalendar("forex")
NYSE = calendar_for("stock", "America/New_York", "USD")
TOKYO = calendar_for("stock", "Asia/Tokyo", "JPY")


def bars_at(stamps: list[str], freq: str = "1D") -> pd.DataFrame:
    frame = make_ohlcv(len(stamps), seed=3, freq=freq)
    frame.index = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True), name="timestamp")
    return frame


def test_clean_bars_pass_untouched() -> None:
    bars = make_ohlcv(300, seed=1, freq="1h")
    clean, report = validate(bars, "1h", CRYPTO)
    pd.testing.assert_frame_equal(clean, bars.set_axis(bars.index.as_unit("ns")))
    assert report.clean and report.rows_in == report.rows_out == 300


def test_each_bad_row_is_dropped_or_repaired_and_counted() -> None:
    bars = make_ohlcv(10, seed=2)
    bars.iloc[1, bars.columns.get_loc("close")] = np.nan
    bars.iloc[2, bars.columns.get_loc("low")] = -1.0
    bars.iloc[3, bars.columns.get_loc("open")] = np.inf
    high, low = bars.iloc[4]["high"], bars.iloc[4]["low"]
    bars.iloc[4, bars.columns.get_loc("high")] = low
    bars.iloc[4, bars.columns.get_loc("low")] = high
    bars.iloc[5, bars.columns.get_loc("open")] = bars.iloc[5]["high"] * 1.01
    bars.iloc[6, bars.columns.get_loc("volume")] = -5.0
    bars.iloc[7, bars.columns.get_loc("volume")] = np.nan
    duplicate = bars.iloc[[8]].copy()
    duplicate["close"] = duplicate["close"] * 1.001
    shuffled = pd.concat([bars, duplicate]).iloc[::-1]
    clean, report = validate(shuffled, "1d", CRYPTO)
    assert (report.nan_prices_dropped, report.non_positive_dropped) == (2, 1)
    assert report.duplicates_dropped == 1
    assert (report.high_low_swapped, report.range_widened, report.volume_repaired) == (1, 1, 2)
    assert report.rows_out == len(clean) == 7
    assert clean.index.is_monotonic_increasing and clean.index.is_unique
    # The last row given for a duplicated timestamp wins (here: the original, given last).
    assert clean.loc[bars.index[8], "close"] == bars.iloc[8]["close"]
    assert clean.loc[bars.index[4], "high"] == high and clean.loc[bars.index[4], "low"] == low
    assert clean.loc[bars.index[5], "high"] == bars.iloc[5]["open"]
    assert clean.loc[bars.index[6], "volume"] == 0.0


def test_crypto_any_missing_hour_is_a_gap() -> None:
    bars = make_ohlcv(48, seed=4, freq="1h").drop(
        pd.date_range("2020-01-01 05:00", periods=3, freq="1h", tz="UTC"))
    _, report = validate(bars, "1h", CRYPTO)
    assert report.gap_count == 1
    assert report.gaps[0].start.startswith("2020-01-01T04:00") and report.gaps[0].hours == 4.0


def test_forex_weekend_is_not_a_gap_but_a_missing_tuesday_hour_is() -> None:
    hours = pd.date_range("2024-01-01", "2024-01-14", freq="1h", tz="UTC")
    weekend = ((hours.day_of_week == 4) & (hours.hour >= 21)) | (hours.day_of_week == 5) | (
        (hours.day_of_week == 6) & (hours.hour < 22))
    hours = hours[~weekend & (hours != pd.Timestamp("2024-01-01 00:00", tz="UTC"))]
    bars = bars_at(list(hours.astype(str)), "1h")
    assert validate(bars, "1h", FOREX)[1].gap_count == 0
    holed = bars.drop(pd.Timestamp("2024-01-09 13:00", tz="UTC"))
    assert validate(holed, "1h", FOREX)[1].gap_count == 1


def test_stock_weekends_and_nyse_holidays_are_not_gaps() -> None:
    # 2024: Good Friday 29 March, Memorial Day 27 May.
    days = pd.bdate_range("2024-03-25", "2024-05-31", tz="UTC")
    days = days[~days.isin(pd.to_datetime(["2024-03-29", "2024-05-27"], utc=True))]
    bars = bars_at(list(days.astype(str)))
    assert validate(bars, "1d", NYSE)[1].gap_count == 0
    missing_tuesday = bars.drop(pd.Timestamp("2024-04-16", tz="UTC"))
    _, report = validate(missing_tuesday, "1d", NYSE)
    assert report.gap_count == 1 and report.gaps[0].end.startswith("2024-04-17")


def test_unknown_exchange_tolerates_one_missing_weekday_not_two() -> None:
    days = pd.bdate_range("2024-04-01", "2024-04-30", tz="UTC")
    one = bars_at(list(days.drop(days[10]).astype(str)))
    two = bars_at(list(days.drop(days[10:12]).astype(str)))
    assert validate(one, "1d", TOKYO)[1].gap_count == 0
    assert validate(two, "1d", TOKYO)[1].gap_count == 1


def test_stock_intraday_nights_are_not_gaps_a_missing_session_hour_is() -> None:
    sessions = [pd.date_range(f"2024-04-{d:02d} 13:30", periods=7, freq="1h", tz="UTC")
                for d in (15, 16, 17, 18, 19, 22)]
    stamps = pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in sessions]), tz="UTC")
    bars = bars_at(list(stamps.astype(str)), "1h")
    assert validate(bars, "1h", NYSE)[1].gap_count == 0
    holed = bars.drop(pd.Timestamp("2024-04-17 16:30", tz="UTC"))
    assert validate(holed, "1h", NYSE)[1].gap_count == 1


def test_outlier_returns_are_flagged_by_robust_z_and_kept() -> None:
    bars = make_ohlcv(400, seed=5)
    spike = bars.index[200]
    bars.loc[spike, ["open", "high", "low", "close"]] *= 1.5  # a bad print
    clean, report = validate(bars, "1d", CRYPTO)
    assert len(clean) == 400
    flagged = {o.timestamp for o in report.outliers}
    assert spike.isoformat() in flagged and bars.index[201].isoformat() in flagged
    assert report.outlier_count == 2
    assert all(abs(o.robust_z) > 10 for o in report.outliers)


def test_report_is_json_and_states_its_rules() -> None:
    bars = make_ohlcv(30, seed=6)
    bars.iloc[3, 0] = np.nan
    _, report = validate(bars, "1d", NYSE)
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert payload["nan_prices_dropped"] == 1 and payload["rows_dropped"] == 1
    assert payload["rules"] == RULES
    assert ValidationReport.from_dict(payload).to_dict() == payload


price = st.one_of(st.floats(min_value=-5, max_value=1e6), st.just(float("nan")),
                 st.just(float("inf")))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 40), price, price, price, price, price),
                     min_size=1, max_size=40))
def test_whatever_comes_in_what_comes_out_is_sound(rows: list[tuple]) -> None:
    index = pd.to_datetime([r[0] for r in rows], unit="h", utc=True)
    frame = pd.DataFrame([r[1:] for r in rows], columns=["open", "high", "low", "close",
                                                         "volume"], index=index)
    clean, report = validate(standardize(frame), "1h", CRYPTO)
    assert clean.index.is_monotonic_increasing and clean.index.is_unique
    prices = clean[["open", "high", "low", "close"]].to_numpy()
    assert np.isfinite(prices).all() and (prices > 0).all()
    assert (clean["high"] >= clean[["open", "close", "low"]].max(axis=1)).all()
    assert (clean["low"] <= clean[["open", "close"]].min(axis=1)).all()
    assert (clean["volume"] >= 0).all()
    assert report.rows_in - report.rows_dropped == report.rows_out == len(clean)
