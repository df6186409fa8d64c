"""Volume-based indicators: OBV, MFI (TA-Lib) and VWAP (own code: TA-Lib has none)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import talib

from ml.indicators.base import column_name, frame, price

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
    typical = (price(bars, "high") + price(bars, "low") + price(bars, "close")) / 3.0
    cum_pv = np.cumsum(typical * volume)
    cum_v = np.cumsum(volume)
    if _resolve_anchor(bars.index, anchor) == "session":
        starts = _session_starts(bars.index)
        # Subtract the running totals as they stood before each session's first bar.
        lengths = np.diff(np.append(starts, len(volume)))
        before = np.repeat(starts, lengths) - 1
        has_before = before >= 0
        cum_pv = cum_pv - np.where(has_before, cum_pv[before], 0.0)
        cum_v = cum_v - np.where(has_before, cum_v[before], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(cum_v > 0, cum_pv / cum_v, np.nan)
    return frame(bars, {column_name("vwap", anchor): values})


def _resolve_anchor(index: pd.Index, anchor: str) -> str:
    if anchor != "auto":
        return anchor
    nanos = _utc_nanos(index)
    if len(nanos) < 2:
        return "cumulative"  # one bar: both anchors give the same value
    return "session" if int(np.diff(nanos).min()) < _NS_PER_DAY else "cumulative"


def _session_starts(index: pd.Index) -> np.ndarray:
    days = _utc_nanos(index) // _NS_PER_DAY
    return np.flatnonzero(np.concatenate([[True], days[1:] != days[:-1]]))


def _utc_nanos(index: pd.Index) -> np.ndarray:
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("vwap needs a DatetimeIndex to find sessions; got "
                         f"{type(index).__name__}")
    return index.as_unit("ns").asi8  # UTC epoch nanoseconds (naive: wall time read as UTC)
