"""Bar-to-bar returns over ``period`` bars: log and simple (fractions, not percent)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)


def log_return(bars: pd.DataFrame, period: int = 1) -> pd.DataFrame:
    """ln(close_t / close_{t-period}); the first ``period`` rows are NaN."""
    close = price(bars, "close")
    values = np.full_like(close, np.nan)
    np.log(close[period:] / close[:-period], out=values[period:])
    return frame(bars, {column_name("log_return", period): values})


def simple_return(bars: pd.DataFrame, period: int = 1) -> pd.DataFrame:
    """close_t / close_{t-period} - 1; the first ``period`` rows are NaN."""
    close = price(bars, "close")
    values = np.full_like(close, np.nan)
    np.subtract(close[period:] / close[:-period], 1.0, out=values[period:])
    return frame(bars, {column_name("simple_return", period): values})
