"""Bar intervals, their lengths, and resampling to coarser intervals.

Labelling rule (the same for every interval and every provider): a bar is labelled by the
instant it opens, in UTC. Intraday bins are half-open ``[label, label + interval)`` anchored at
00:00 UTC, so a 4h bar labelled 08:00 aggregates the 1h bars labelled 08:00, 09:00, 10:00 and
11:00 and is complete at 12:00. Daily bars are labelled by their trading date at 00:00 UTC and
weekly bars by the Monday that starts the week. A bar's information is known at
``label + interval``; use :func:`bar_close_times` when that matters (look-ahead checks).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ml.data.errors import UnknownIntervalError, UnsupportedIntervalError

logger = logging.getLogger(__name__)

INTERVALS: tuple[str, ...] = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1wk")

_SECONDS: dict[str, int] = {
    "1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14_400,
    "1d": 86_400, "1wk": 604_800,
}

OHLCV_AGGREGATION: dict[str, str] = {
    "open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum",
}


def check_interval(interval: str) -> str:
    """Return ``interval`` when it is one of ``INTERVALS``; raise ``UnknownIntervalError``."""
    if interval not in _SECONDS:
        raise UnknownIntervalError(
            f"unknown interval {interval!r}: use one of {', '.join(INTERVALS)}")
    return interval


def interval_seconds(interval: str) -> int:
    """Length of one bar in seconds (a week for ``1wk``)."""
    return _SECONDS[check_interval(interval)]


def interval_timedelta(interval: str) -> pd.Timedelta:
    return pd.Timedelta(seconds=interval_seconds(interval))


def is_intraday(interval: str) -> bool:
    return interval_seconds(interval) < _SECONDS["1d"]


def check_resample(source: str, target: str, *, what: str) -> None:
    """Raise ``UnsupportedIntervalError`` when ``target`` is finer than ``source``."""
    if interval_seconds(target) < interval_seconds(source):
        coarser = [i for i in INTERVALS if interval_seconds(i) >= interval_seconds(source)]
        raise UnsupportedIntervalError(
            f"{what} has {source} bars at the finest, so it cannot give {target} bars; "
            f"use one of {', '.join(coarser)}")


def floor_to_interval(timestamp: pd.Timestamp, interval: str) -> pd.Timestamp:
    """The label of the bar of ``interval`` that contains ``timestamp`` (UTC)."""
    timestamp = pd.Timestamp(timestamp).tz_convert("UTC")
    if interval == "1wk":
        day = timestamp.normalize()
        return day - pd.Timedelta(days=day.day_of_week)
    return timestamp.floor(interval_timedelta(interval))


def bar_close_times(index: pd.DatetimeIndex, interval: str) -> pd.DatetimeIndex:
    """When each bar's information is complete: label + interval."""
    return index + interval_timedelta(interval)


def resample_bars(bars: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """Aggregate ``bars`` of interval ``source`` to the coarser ``target`` (see module doc).

    Bins with no source bar (market closed) are left out rather than filled.
    """
    check_resample(source, target, what="the data")
    if source == target or bars.empty:
        return bars
    if target == "1wk":
        rule, kwargs = "W-MON", {"label": "left", "closed": "left"}
    elif target == "1d":
        rule, kwargs = "1D", {}
    else:
        rule, kwargs = interval_timedelta(target), {"origin": "epoch"}
    grouped = bars.resample(rule, **kwargs)
    out = grouped.agg(OHLCV_AGGREGATION)
    counts = grouped["close"].count()
    out = out[counts.to_numpy() > 0]
    out.index.name = "timestamp"
    return out.astype(np.float64)
