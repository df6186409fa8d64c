"""Volatility: Bollinger Bands, ATR (TA-Lib) and rolling volatility of log returns."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import talib

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)


def bbands(bars: pd.DataFrame, period: int = 20, stddev: float = 2.0) -> pd.DataFrame:
    """Bollinger Bands: SMA +- ``stddev`` population standard deviations, %b and bandwidth.

    %b = (close - lower) / (upper - lower) and bandwidth = (upper - lower) / middle are NaN
    where the bands have zero width (a flat window), never an invented 0.5.
    """
    close = price(bars, "close")
    upper, middle, lower = talib.BBANDS(close, period, stddev, stddev, talib.MA_Type.SMA)
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_b = np.where(width > 0, (close - lower) / width, np.nan)
        bandwidth = width / middle
    return frame(bars, {column_name("bb_upper", period, stddev): upper,
                        column_name("bb_middle", period, stddev): middle,
                        column_name("bb_lower", period, stddev): lower,
                        column_name("bb_pctb", period, stddev): pct_b,
                        column_name("bb_bandwidth", period, stddev): bandwidth})


def atr(bars: pd.DataFrame, period: int = 14) -> pd.DataFrame:
    """Average True Range, Wilder-smoothed; the first bar has no true range (no prior close)."""
    values = talib.ATR(price(bars, "high"), price(bars, "low"), price(bars, "close"), period)
    return frame(bars, {column_name("atr", period): values})


def volatility(bars: pd.DataFrame, window: int = 20) -> pd.DataFrame:
    """Sample standard deviation (ddof=1) of the last ``window`` log returns, per bar.

    Not annualised: multiply by ``sqrt(ml.analytics.annualization.periods_per_year(...))`` for that.
    """
    close = price(bars, "close")
    log_returns = np.empty_like(close)
    log_returns[0] = np.nan
    np.log(close[1:] / close[:-1], out=log_returns[1:])
    # TA-Lib's STDDEV is the population one; rescale to the sample estimator.
    values = talib.STDDEV(log_returns, window, 1.0) * math.sqrt(window / (window - 1))
    return frame(bars, {column_name("volatility", window): values})
