"""Trend: ADX with +DI/-DI, Parabolic SAR (TA-Lib) and Ichimoku (own code on TA-Lib parts).

Ichimoku on an existing index: the leading spans (senkou A and B) are computed at bar t and
belong to bar t + displacement. Row t therefore holds the spans computed ``displacement``
bars earlier; the spans computed on the last ``displacement`` bars belong to bars that do not
exist yet and are dropped, never given invented timestamps. To draw the cloud ahead of price,
call with ``displacement=0`` and place the last rows' spans ``displacement`` bars ahead. The
lagging span (chikou) at row t is the close of bar t + displacement: it looks ahead by
construction, so its last ``displacement`` rows are NaN and it must never feed a model.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import talib

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)


def adx(bars: pd.DataFrame, period: int = 14) -> pd.DataFrame:
    """Wilder's ADX with the directional indicators +DI and -DI, each in [0, 100]."""
    high, low, close = price(bars, "high"), price(bars, "low"), price(bars, "close")
    return frame(bars, {column_name("adx", period): talib.ADX(high, low, close, period),
                        column_name("plus_di", period): talib.PLUS_DI(high, low, close, period),
                        column_name("minus_di", period): talib.MINUS_DI(high, low, close,
                                                                        period)})


def sar(bars: pd.DataFrame, acceleration: float = 0.02, maximum: float = 0.2) -> pd.DataFrame:
    """Wilder's Parabolic SAR; the first bar only sets the initial direction (NaN)."""
    values = talib.SAR(price(bars, "high"), price(bars, "low"), acceleration, maximum)
    return frame(bars, {column_name("sar", acceleration, maximum): values})


def ichimoku(bars: pd.DataFrame, tenkan: int = 9, kijun: int = 26, senkou: int = 52,
             displacement: int = 26) -> pd.DataFrame:
    """Ichimoku Kinko Hyo lines; see the module docstring for how the shifts are placed."""
    high, low, close = price(bars, "high"), price(bars, "low"), price(bars, "close")
    # MIDPRICE = (highest high + lowest low) / 2 over the period: the Ichimoku midpoint.
    tenkan_line = talib.MIDPRICE(high, low, tenkan)
    kijun_line = talib.MIDPRICE(high, low, kijun)
    span_a = _shift_forward((tenkan_line + kijun_line) / 2.0, displacement)
    span_b = _shift_forward(talib.MIDPRICE(high, low, senkou), displacement)
    chikou = np.full_like(close, np.nan)
    chikou[:len(close) - displacement] = close[displacement:]
    suffix = (tenkan, kijun, senkou, displacement)
    return frame(bars, {column_name("ichimoku_tenkan", *suffix): tenkan_line,
                        column_name("ichimoku_kijun", *suffix): kijun_line,
                        column_name("ichimoku_senkou_a", *suffix): span_a,
                        column_name("ichimoku_senkou_b", *suffix): span_b,
                        column_name("ichimoku_chikou", *suffix): chikou})


def _shift_forward(values: np.ndarray, bars: int) -> np.ndarray:
    """Row t gets the value of row t - bars; values past the last row are dropped."""
    shifted = np.full_like(values, np.nan)
    shifted[bars:] = values[:len(values) - bars]
    return shifted
