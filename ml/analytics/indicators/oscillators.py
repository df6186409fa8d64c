"""Momentum oscillators in their own panel (TA-Lib): RSI, MACD, Stochastic, CCI, %R, ROC."""

from __future__ import annotations

import logging

import pandas as pd
import talib

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)


def rsi(bars: pd.DataFrame, period: int = 14) -> pd.DataFrame:
    """Wilder's RSI; averages seeded with the simple mean of the first ``period`` changes."""
    return frame(bars, {column_name("rsi", period): talib.RSI(price(bars, "close"), period)})


def macd(bars: pd.DataFrame, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD line (fast EMA - slow EMA), its signal EMA and the histogram (line - signal).

    TA-Lib seeds both EMAs at bar ``slow - 1`` (the fast one with the mean of the ``fast``
    bars ending there), so early values differ from two independently seeded EMAs.
    """
    line, sig, hist = talib.MACD(price(bars, "close"), fast, slow, signal)
    return frame(bars, {column_name("macd", fast, slow, signal): line,
                        column_name("macd_signal", fast, slow, signal): sig,
                        column_name("macd_hist", fast, slow, signal): hist})


def stoch(bars: pd.DataFrame, k_period: int = 14, k_smooth: int = 3,
          d_period: int = 3) -> pd.DataFrame:
    """Slow stochastic: %K = SMA(k_smooth) of the raw %K over ``k_period``, %D = SMA of %K."""
    sma = talib.MA_Type.SMA
    slow_k, slow_d = talib.STOCH(price(bars, "high"), price(bars, "low"), price(bars, "close"),
                                 fastk_period=k_period, slowk_period=k_smooth, slowk_matype=sma,
                                 slowd_period=d_period, slowd_matype=sma)
    return frame(bars, {column_name("stoch_k", k_period, k_smooth, d_period): slow_k,
                        column_name("stoch_d", k_period, k_smooth, d_period): slow_d})


def cci(bars: pd.DataFrame, period: int = 20) -> pd.DataFrame:
    """Commodity Channel Index: (typical price - its SMA) / (0.015 x mean absolute deviation)."""
    values = talib.CCI(price(bars, "high"), price(bars, "low"), price(bars, "close"), period)
    return frame(bars, {column_name("cci", period): values})


def willr(bars: pd.DataFrame, period: int = 14) -> pd.DataFrame:
    """Williams %R: -100 x (highest high - close) / (highest high - lowest low), in [-100, 0]."""
    values = talib.WILLR(price(bars, "high"), price(bars, "low"), price(bars, "close"), period)
    return frame(bars, {column_name("willr", period): values})


def roc(bars: pd.DataFrame, period: int = 10) -> pd.DataFrame:
    """Rate of change in percent: 100 x (close / close ``period`` bars ago - 1)."""
    return frame(bars, {column_name("roc", period): talib.ROC(price(bars, "close"), period)})
