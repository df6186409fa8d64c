"""Yahoo through yfinance, replayed from recorded responses below yfinance's own HTTP calls.

Each test runs yfinance's real request, error and parsing code; only the bytes Yahoo would
send come from ``recordings/``. "No network" uses a real curl session whose proxy refuses.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from ml.data import DataError, MarketData
from ml.data.cache import count_bars, get_state
from ml.data.errors import (
    NetworkError,
    NoDataError,
    ProviderTimeoutError,
    RateLimitedError,
    UnknownSymbolError,
)
from ml.data.providers import YahooProvider
from ml.settings import CoreSettings
from tests.ml.data.conftest import Clock, YahooFactory, utc


def test_stock_bars_parse_through_yfinance_and_match_the_real_series(
        yahoo: YahooFactory) -> None:
    market, session = yahoo("stock_goog_1d", Clock(utc("2013-03-04 12:00")))
    result = market.load("GOOG", "1d", start="2013-01-01")
    assert session.unmatched == []
    assert session.chart_calls(), "yfinance made no chart request"
    meta = result.meta
    assert (meta.asset_class, meta.currency, meta.name) == ("stock", "USD", "Alphabet Inc.")
    assert meta.source.startswith("Yahoo Finance")
    assert meta.rows == 41
    assert meta.first == pd.Timestamp("2013-01-02", tz="UTC")
    assert meta.last == pd.Timestamp("2013-03-01", tz="UTC")
    # The recording carries backtesting's real GOOG bars: after Yahoo's JSON, yfinance's
    # parsing and our transform, the numbers are the sample's, on the same dates.
    sample = market.load("sample:GOOG", "1d", start="2013-01-01").bars
    np.testing.assert_allclose(result.bars.to_numpy(), sample.to_numpy(), rtol=1e-9)
    assert result.bars.index.equals(sample.index)
    assert result.report.gap_count == 0  # weekends and 21 Jan, 18 Feb (NYSE holidays)


def test_bars_follow_the_schema_contract(yahoo: YahooFactory) -> None:
    market, _ = yahoo("crypto_btcusd_1h", Clock(utc("2024-01-20 10:30")))
    bars = market.load("BTC-USD", "1h", start="2024-01-10").bars
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in bars.dtypes)
    assert bars.index.name == "timestamp"
    assert str(bars.index.tz) == "UTC"
    assert bars.index.is_monotonic_increasing and bars.index.is_unique


def test_crypto_pair_metadata_and_the_forming_bar_is_never_cached(
        yahoo: YahooFactory, engine: Engine) -> None:
    market, _ = yahoo("crypto_btcusd_1h", Clock(utc("2024-01-20 10:30")))
    result = market.load("BTC-USD", "1h", start="2024-01-10")
    assert (result.meta.asset_class, result.meta.currency) == ("crypto", "USD")
    assert result.meta.name == "Bitcoin USD"
    # 10:00 closes at 11:00, after now (10:30): left out of the result and of the cache.
    assert result.bars.index[-1] == pd.Timestamp("2024-01-20 09:00", tz="UTC")
    assert result.report.gap_count == 0
    state = get_state(engine, "BTC-USD", "1h")
    assert state is not None
    assert pd.Timestamp(state.last_complete_ts, unit="s", tz="UTC") == result.bars.index[-1]
    with_partial = market.load("BTC-USD", "1h", start="2024-01-10", include_partial=True)
    assert with_partial.bars.index[-1] == pd.Timestamp("2024-01-20 10:00", tz="UTC")
    assert with_partial.meta.partial_last_bar
    assert any("still forming" in note for note in with_partial.meta.notes)
    assert count_bars(engine, "BTC-USD", "1h") == len(result.bars)


def test_forex_pair_resampled_to_4h_matches_the_sample(yahoo: YahooFactory) -> None:
    market, session = yahoo("forex_eurusd_1h", Clock(utc("2018-02-07 16:20")))
    result = market.load("EURUSD=X", "4h", start="2018-01-22")
    assert session.unmatched == []
    assert (result.meta.asset_class, result.meta.currency) == ("forex", "USD")
    assert result.meta.interval == "4h"
    assert result.report.gap_count == 0  # weekends are not gaps for forex
    sample = market.load("sample:EURUSD", "4h", start="2018-01-22", end="2018-02-07").bars
    assert result.bars.index.equals(sample.index)
    prices = ["open", "high", "low", "close"]
    np.testing.assert_allclose(result.bars[prices].to_numpy(), sample[prices].to_numpy())
    assert (result.bars["volume"] == 0).all()  # Yahoo reports no forex volume


def test_refresh_asks_only_for_bars_after_the_last_complete_one(yahoo: YahooFactory) -> None:
    clock = Clock(utc("2013-02-01 00:00"))
    market, session = yahoo("stock_goog_1d", clock)
    first = market.load("GOOG", "1d", start="2013-01-01")
    assert first.meta.last == pd.Timestamp("2013-01-31", tz="UTC")
    clock.now = utc("2013-03-04 12:00")
    second = market.load("GOOG", "1d", start="2013-01-01")
    last_call = session.chart_calls()[-1]
    resume = pd.Timestamp("2013-02-01").tz_localize("America/New_York")
    assert int(last_call["period1"]) == int(resume.timestamp())
    assert second.meta.rows == 41 and second.bars.index.is_unique
    calls = len(session.chart_calls())
    clock.advance(minutes=1)
    market.load("GOOG", "1d", start="2013-01-01")  # just refreshed: no request at all
    assert len(session.chart_calls()) == calls


def test_an_earlier_start_backfills_only_the_missing_range(yahoo: YahooFactory) -> None:
    market, session = yahoo("stock_goog_1d", Clock(utc("2013-03-04 12:00")))
    market.load("GOOG", "1d", start="2013-02-01")
    result = market.load("GOOG", "1d", start="2013-01-01")
    backfill = session.chart_calls()[-1]
    new_york = "America/New_York"
    assert int(backfill["period1"]) == int(pd.Timestamp("2013-01-01").tz_localize(new_york)
                                           .timestamp())
    assert int(backfill["period2"]) == int(pd.Timestamp("2013-02-01").tz_localize(new_york)
                                           .timestamp())
    assert result.meta.rows == 41


def test_history_limit_clips_the_request_and_says_so(yahoo: YahooFactory) -> None:
    now = utc("2024-01-20 10:30")
    market, session = yahoo("crypto_btcusd_1h", Clock(now))
    result = market.load("BTC-USD", "1h", start="2020-01-01")
    assert any("730 days" in note for note in result.meta.notes)
    period1 = int(session.chart_calls()[-1]["period1"])
    assert period1 >= int((pd.Timestamp(now) - pd.Timedelta(days=730)).timestamp())
    assert result.meta.first == pd.Timestamp("2024-01-10", tz="UTC")


def test_a_range_entirely_beyond_the_limit_is_not_fetched(yahoo: YahooFactory) -> None:
    market, session = yahoo("crypto_btcusd_1h", Clock(utc("2024-01-20 10:30")))
    with pytest.raises(NoDataError, match="730 days"):
        market.load("BTC-USD", "1h", start="2020-01-01", end="2020-02-01")
    assert session.chart_calls() == []


def test_provider_limits() -> None:
    provider = YahooProvider(os.devnull)
    assert provider.history_limit("1m") == pd.Timedelta(days=7)
    assert provider.history_limit("15m") == pd.Timedelta(days=60)
    assert provider.history_limit("1h") == pd.Timedelta(days=730)
    assert provider.history_limit("1d") is None


def test_unknown_symbol_is_a_named_error(yahoo: YahooFactory) -> None:
    market, _ = yahoo("unknown_symbol", Clock(utc("2024-01-20 10:30")))
    with pytest.raises(UnknownSymbolError, match="NOSUCHTICKER.*spelling") as caught:
        market.load("NOSUCHTICKER", "1d", start="2023-01-01")
    assert isinstance(caught.value, DataError) and isinstance(caught.value, ValueError)


def test_delisted_symbol_with_an_empty_frame_is_a_named_error(yahoo: YahooFactory) -> None:
    market, _ = yahoo("delisted_empty", Clock(utc("2024-01-20 10:30")))
    with pytest.raises(NoDataError, match="SIVB.*delisted"):
        market.load("SIVB", "1d", start="2023-06-01")


def test_rate_limit_without_cache_is_a_named_error(yahoo: YahooFactory) -> None:
    market, _ = yahoo("rate_limited", Clock(utc("2024-01-20 10:30")))
    with pytest.raises(RateLimitedError, match="rate-limit.*wait a few minutes"):
        market.load("AAPL", "1d", start="2023-01-01")


@pytest.mark.parametrize("failure", ["rate_limited", "timeout"])
def test_provider_failure_serves_the_cache_with_its_age(yahoo: YahooFactory,
                                                        failure: str) -> None:
    clock = Clock(utc("2013-03-04 12:00"))
    good, _ = yahoo("stock_goog_1d", clock)
    cached = good.load("GOOG", "1d", start="2013-01-01")
    clock.advance(days=3)
    failing, session = yahoo(failure, clock)
    result = failing.load("GOOG", "1d", start="2013-01-01")
    assert session.calls, "the refresh was not attempted"
    pd.testing.assert_frame_equal(result.bars, cached.bars)
    assert result.meta.cache_age_s == pytest.approx(3 * 86_400)
    assert any("cached bars" in note and "3.0 days ago" in note for note in result.meta.notes)


def test_timeout_without_cache_is_a_named_error(yahoo: YahooFactory) -> None:
    market, _ = yahoo("timeout", Clock(utc("2024-01-20 10:30")))
    with pytest.raises(ProviderTimeoutError, match="did not answer in time"):
        market.load("MSFT", "1d", start="2023-01-01")


def test_no_network_is_a_named_error(engine: Engine, settings: CoreSettings) -> None:
    """A real curl session through a proxy that refuses: what a dead network looks like."""
    from curl_cffi import requests as curl_requests

    session = curl_requests.Session(impersonate="chrome", proxy="http://127.0.0.1:9")
    provider = YahooProvider(settings.var_dir, timeout_s=2, session=session)
    market = MarketData(engine, settings=settings, providers={"yahoo": provider})
    with pytest.raises(NetworkError, match="cannot reach Yahoo Finance"):
        market.load("AAPL", "1d", start="2024-01-01")


def test_yfinance_caches_live_in_a_per_process_folder_of_var_dir(
        yahoo: YahooFactory, settings: CoreSettings) -> None:
    market, _ = yahoo("stock_goog_1d", Clock(utc("2013-03-04 12:00")))
    market.load("GOOG", "1d", start="2013-01-01")
    import yfinance.cache

    location = yfinance.cache._TzDBManager.get_location()
    assert location == str(settings.var_dir / "yfinance" / f"pid-{os.getpid()}")


def test_report_is_json(yahoo: YahooFactory) -> None:
    market, _ = yahoo("forex_eurusd_1h", Clock(utc("2018-02-07 16:20")))
    result = market.load("EURUSD=X", "1h", start="2018-01-22")
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["report"]["rows_out"] == result.meta.rows
    assert payload["asset_class"] == "forex"
