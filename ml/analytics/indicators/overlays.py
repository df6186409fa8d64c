"""Moving averages of the close, drawn on the price chart (TA-Lib)."""

from __future__ import annotations

import logging

import pandas as pd
import talib

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)


def sma(bars: pd.DataFrame, period: int = 20) -> pd.DataFrame:
    """Simple moving average of the close over ``period`` bars."""
    return frame(bars, {column_name("sma", period): talib.SMA(price(bars, "close"), period)})


def ema(bars: pd.DataFrame, period: int = 20) -> pd.DataFrame:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the first SMA."""
    return frame(bars, {column_name("ema", period): talib.EMA(price(bars, "close"), period)})


def wma(bars: pd.DataFrame, period: int = 20) -> pd.DataFrame:
    """Linearly weighted moving average (weights 1..period, newest heaviest)."""
    return frame(bars, {column_name("wma", period): talib.WMA(price(bars, "close"), period)})
