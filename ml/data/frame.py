"""The one schema every provider's bars are transformed to.

A bars frame has a tz-aware UTC ``DatetimeIndex`` named ``timestamp`` and float64 columns
open, high, low, close, volume. Frames leaving the data layer are also ascending and unique
(the validator guarantees that).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


def empty_bars() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
    return pd.DataFrame({c: np.array([], dtype=np.float64) for c in COLUMNS}, index=index)


def to_utc_index(index: pd.Index) -> pd.DatetimeIndex:
    """A UTC DatetimeIndex; naive timestamps are taken to be UTC already."""
    index = pd.DatetimeIndex(index)
    if index.tz is None:
        index = index.tz_localize("UTC")
    else:
        index = index.tz_convert("UTC")
    return index.as_unit("ns").rename("timestamp")


def standardize(frame: pd.DataFrame) -> pd.DataFrame:
    """Pick and rename the OHLCV columns (any case), float64, UTC index; order kept.

    A missing volume column becomes zeros. Duplicates and bad values are left for the
    validator, which counts them.
    """
    lower = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in PRICE_COLUMNS if c not in lower]
    if missing:
        raise ValueError(f"bars frame lacks columns {missing}; has {list(frame.columns)}")
    data = {c: pd.to_numeric(frame[lower[c]], errors="coerce").to_numpy(np.float64)
            for c in PRICE_COLUMNS}
    if "volume" in lower:
        data["volume"] = pd.to_numeric(frame[lower["volume"]],
                                       errors="coerce").to_numpy(np.float64)
    else:
        data["volume"] = np.zeros(len(frame), dtype=np.float64)
    return pd.DataFrame(data, index=to_utc_index(frame.index))


def daily_labels(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Label daily (or weekly) bars by their date at 00:00 UTC, whatever zone they came in."""
    index = pd.DatetimeIndex(index)
    dates = index.tz_localize(None) if index.tz is not None else index
    return pd.DatetimeIndex(dates.normalize()).tz_localize("UTC").as_unit("ns").rename(
        "timestamp")
