"""Real sample bars (offline, from installed packages) in the project's bars schema."""

from __future__ import annotations

import pandas as pd
import pytest


def to_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Lower-case OHLCV float columns on a UTC DatetimeIndex named ``timestamp``."""
    bars = frame.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
    index = pd.DatetimeIndex(bars.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    bars = bars.astype("float64").set_axis(index.rename("timestamp"))
    return bars


@pytest.fixture(scope="session")
def sp500() -> pd.DataFrame:
    """S&P 500 daily, 1999-01-04 to 2018-12-31 (5,031 bars), from ``arch``."""
    from arch.data import sp500

    return to_bars(sp500.load())


@pytest.fixture(scope="session")
def goog() -> pd.DataFrame:
    """GOOG daily, 2004-08-19 to 2013-03-01 (2,148 bars), from ``backtesting``."""
    from backtesting.test import GOOG

    return to_bars(GOOG)


@pytest.fixture(scope="session")
def eurusd() -> pd.DataFrame:
    """EUR/USD hourly, 2017-04-19 to 2018-02-07 (5,000 bars), from ``backtesting``."""
    from backtesting.test import EURUSD

    return to_bars(EURUSD)
