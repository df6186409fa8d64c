"""The bundled samples through the whole load path, and the query errors every provider shares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from ml.data import INTERVALS, MarketData, load_bars
from ml.data.errors import (
    InvalidRangeError,
    InvalidSymbolError,
    UnknownIntervalError,
    UnknownSymbolError,
    UnsupportedIntervalError,
)


def assert_contract(bars: pd.DataFrame) -> None:
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in bars.dtypes)
    assert bars.index.name == "timestamp" and str(bars.index.tz) == "UTC"
    assert bars.index.is_monotonic_increasing and bars.index.is_unique


@pytest.mark.parametrize(("symbol", "interval", "rows", "asset_class", "first", "last"), [
    ("sample:SPX", "1d", 5031, "index", "1999-01-04", "2018-12-31"),
    ("sample:GOOG", "1d", 2148, "stock", "2004-08-19", "2013-03-01"),
    ("sample:EURUSD", "1h", 5000, "forex", "2017-04-19 09:00", "2018-02-07 15:00"),
    ("sample:EURUSD", "4h", 1292, "forex", "2017-04-19 08:00", "2018-02-07 12:00"),
])
def test_samples_load_offline(market: MarketData, symbol: str, interval: str, rows: int,
                              asset_class: str, first: str, last: str) -> None:
    result = market.load(symbol, interval)
    assert_contract(result.bars)
    assert result.meta.rows == rows == len(result.bars)
    assert result.meta.asset_class == asset_class and result.meta.currency == "USD"
    assert result.meta.first == pd.Timestamp(first, tz="UTC")
    assert result.meta.last == pd.Timestamp(last, tz="UTC")
    assert result.report.rows_dropped == 0 and result.report.gap_count == 0


def test_public_load_bars(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                          tmp_path: Path) -> None:
    monkeypatch.setenv("FORESIGHT_VAR_DIR", str(tmp_path))
    result = load_bars("sample:GOOG", "1wk", "2013-01-01", engine=engine)
    assert result.meta.interval == "1wk" and result.meta.symbol == "sample:GOOG"
    assert result.report.to_dict()["rows_out"] == len(result.bars) == 8  # Mondays from 7 Jan
    assert_contract(result.bars)


def test_spx_drawdown_matches_the_verified_figure(market: MarketData) -> None:
    close = market.load("sample:SPX", "1d", "2007-01-01", "2009-12-31").bars["close"]
    drawdown = (close / close.cummax() - 1).min()
    assert drawdown == pytest.approx(-0.5678, abs=5e-5)
    assert close.idxmax() == pd.Timestamp("2007-10-09", tz="UTC")


def test_eurusd_says_its_naive_times_are_taken_as_utc(market: MarketData) -> None:
    for interval in ("1h", "4h", "1d"):
        notes = market.load("sample:EURUSD", interval).meta.notes
        assert any("taken as UTC" in note for note in notes)


def test_resampling_works_for_every_sample(market: MarketData) -> None:
    weekly = market.load("sample:SPX", "1wk").bars
    assert (weekly.index.day_of_week == 0).all()  # weeks start on Monday
    daily = market.load("sample:SPX", "1d", "2018-12-24", "2018-12-30").bars
    week = weekly.loc["2018-12-24"]
    assert week["open"] == daily["open"].iloc[0] and week["close"] == daily["close"].iloc[-1]
    assert week["high"] == daily["high"].max() and week["volume"] == daily["volume"].sum()
    eurusd_daily = market.load("sample:EURUSD", "1d").bars
    assert len(eurusd_daily) == 251 and (eurusd_daily.index.hour == 0).all()
    assert len(market.load("sample:GOOG", "1wk").bars) > 400


def test_4h_bars_are_labelled_by_their_opening_hour(market: MarketData) -> None:
    hourly = market.load("sample:EURUSD", "1h", "2018-01-23", "2018-01-23").bars
    four = market.load("sample:EURUSD", "4h", "2018-01-23", "2018-01-23").bars
    assert list(four.index.hour) == [0, 4, 8, 12, 16, 20]
    bin_ = hourly.loc["2018-01-23 08:00":"2018-01-23 11:00"]
    row = four.loc["2018-01-23 08:00"]
    assert row["open"] == bin_["open"].iloc[0] and row["close"] == bin_["close"].iloc[-1]
    assert row["high"] == bin_["high"].max() and row["low"] == bin_["low"].min()


def test_start_and_end_are_inclusive(market: MarketData) -> None:
    bars = market.load("sample:GOOG", "1d", "2013-02-01", "2013-02-05").bars
    assert list(bars.index.strftime("%Y-%m-%d")) == ["2013-02-01", "2013-02-04",
                                                     "2013-02-05"]


def test_second_load_reads_the_cache(market: MarketData) -> None:
    first = market.load("sample:GOOG", "1d")
    second = market.load("sample:GOOG", "1d", refresh=False)
    pd.testing.assert_frame_equal(first.bars, second.bars)
    assert second.meta.cache_age_s is not None and second.meta.cache_age_s >= 0


@pytest.mark.parametrize("interval", ["2h", "1M", "", "daily"])
def test_unknown_interval(market: MarketData, interval: str) -> None:
    with pytest.raises(UnknownIntervalError, match="unknown interval"):
        market.load("sample:SPX", interval)


def test_every_listed_interval_is_accepted_for_hourly_data(market: MarketData) -> None:
    for interval in INTERVALS:
        if interval in {"1m", "5m", "15m", "30m"}:
            with pytest.raises(UnsupportedIntervalError, match="1h bars at the finest"):
                market.load("sample:EURUSD", interval)
        else:
            assert not market.load("sample:EURUSD", interval).bars.empty


def test_start_after_end(market: MarketData) -> None:
    with pytest.raises(InvalidRangeError, match="start 2010-01-01 00:00 is after end"):
        market.load("sample:SPX", "1d", "2010-01-01", "2009-01-01")


def test_unreadable_date(market: MarketData) -> None:
    with pytest.raises(InvalidRangeError, match="cannot read start 'yesterday-ish'"):
        market.load("sample:SPX", "1d", "yesterday-ish")


@pytest.mark.parametrize(("symbol", "error"), [
    ("", InvalidSymbolError), ("sample:NOPE", InvalidSymbolError),
    ("ftp:AAPL", InvalidSymbolError), ("AA PL", InvalidSymbolError),
    ("csv:never_imported", UnknownSymbolError),
])
def test_bad_symbols(market: MarketData, symbol: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        market.load(symbol, "1d")


def test_range_with_no_bars(market: MarketData) -> None:
    with pytest.raises(ValueError, match="no 1d bars for sample:SPX between 2030-01-01"):
        market.load("sample:SPX", "1d", "2030-01-01", "2030-02-01")
