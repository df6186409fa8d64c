"""Volume-based indicators: OBV, MFI (TA-Lib) and VWAP (own code: TA-Lib has none)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import talib

from ml.analytics.indicators.base import column_name, frame, price

logger = logging.getLogger(__name__)

_NS_PER_DAY = 86_400_000_000_000
VWAP_ANCHORS = ("auto", "session", "cumulative")


def obv(bars: pd.DataFrame) -> pd.DataFrame:
    """On-balance volume, starting from the first bar's volume (TA-Lib's convention)."""
    values = talib.OBV(price(bars, "close"), price(bars, "volume"))
    return frame(bars, {"obv": values})


def mfi(bars: pd.DataFrame, period: int = 14) -> pd.DataFrame:
    """Money Flow Index: a volume-weighted RSI of the typical price, in [0, 100]."""
    values = talib.MFI(price(bars, "high"), price(bars, "low"), price(bars, "close"),
                       price(bars, "volume"), period)
    return frame(bars, {column_name("mfi", period): values})


def vwap(bars: pd.DataFrame, anchor: str = "auto") -> pd.DataFrame:
    """Volume-weighted average of the typical price (high + low + close) / 3.

    ``anchor``: ``session`` restarts the sums at each UTC calendar day (intraday bars),
    ``cumulative`` sums from the first bar (daily and coarser), ``auto`` picks ``session``
    when the smallest gap between bars is under a day. A naive index is read as UTC. Rows
    whose summed volume is still zero (forex feeds without volume) are NaN: there is no
    volume to weight by.
    """
    if anchor not in VWAP_ANCHORS:
        raise ValueError(f"vwap: anchor must be one of {', '.join(VWAP_ANCHORS)}; "
                         f"got {anchor!r}")
    volume = price(bars, "volume")
    typical = price(bars, "high") + price(bars, "low")
    typical += price(bars, "close")
    typical /= 3.0
    cum_pv = np.cumsum(typical * volume)
    cum_v = np.cumsum(volume)
    nanos = _utc_nanos(bars.index)
    if _resolve_anchor(nanos, anchor) == "session":
        # Subtract the running totals as they stood before each session's first bar.
        days = nanos // _NS_PER_DAY
        starts = np.flatnonzero(days[1:] != days[:-1]) + 1
        lengths = np.diff(np.concatenate([[0], starts, [len(volume)]]))
        cum_pv -= np.repeat(np.concatenate([[0.0], cum_pv[starts - 1]]), lengths)
        cum_v -= np.repeat(np.concatenate([[0.0], cum_v[starts - 1]]), lengths)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = cum_pv / cum_v
    values[cum_v <= 0] = np.nan
    return frame(bars, {column_name("vwap", anchor): values})


def _resolve_anchor(nanos: np.ndarray, anchor: str) -> str:
    if anchor != "auto":
        return anchor
    if len(nanos) < 2:
        return "cumulative"  # one bar: both anchors give the same value
    return "session" if int(np.diff(nanos).min()) < _NS_PER_DAY else "cumulative"


def _utc_nanos(index: pd.Index) -> np.ndarray:
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("vwap needs a DatetimeIndex to find sessions; got "
                         f"{type(index).__name__}")
    return index.as_unit("ns").asi8  # UTC epoch nanoseconds (naive: wall time read as UTC)
