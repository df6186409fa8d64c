"""Validation on every load: find bad rows, repair or drop them by a stated rule, count them,
and report gaps and outlier returns (which are real data and are kept).

The report is plain data (``to_dict()`` is JSON-able) so the UI and the API can show it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.data.calendars import MarketCalendar, count_missing
from ml.data.frame import PRICE_COLUMNS, empty_bars
from ml.data.intervals import interval_timedelta

logger = logging.getLogger(__name__)

OUTLIER_Z = 10.0  # robust z-score above which a log return is flagged
MAX_LISTED = 20  # gaps and outliers listed in the report (all are counted)

RULES: dict[str, str] = {
    "nan_prices": "rows with a missing (NaN or infinite) open, high, low or close are dropped",
    "non_positive_prices": "rows with a price at or below zero are dropped",
    "duplicates": "when a timestamp appears more than once, the last row given is kept",
    "high_below_low": "high and low are swapped when high < low",
    "open_close_outside_range": "high and low are widened to contain open and close",
    "volume": "missing or negative volume is set to 0",
    "gaps": "a step between bars longer than the interval while the market was open is "
            "reported, not filled",
    "outliers": f"log returns with a robust z-score (median/MAD) above {OUTLIER_Z:g} are "
                "reported and kept: they may be real",
}


@dataclass
class Gap:
    start: str  # last bar before the gap
    end: str  # first bar after it
    hours: float


@dataclass
class Outlier:
    timestamp: str
    log_return: float
    robust_z: float


@dataclass
class ValidationReport:
    """Counts of what was found and done, plus the listed gaps and outliers."""

    interval: str
    calendar: str
    rows_in: int = 0
    rows_out: int = 0
    nan_prices_dropped: int = 0
    non_positive_dropped: int = 0
    duplicates_dropped: int = 0
    high_low_swapped: int = 0
    range_widened: int = 0
    volume_repaired: int = 0
    gap_count: int = 0
    gaps: list[Gap] = field(default_factory=list)
    outlier_count: int = 0
    outliers: list[Outlier] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        return self.nan_prices_dropped + self.non_positive_dropped + self.duplicates_dropped

    @property
    def rows_repaired(self) -> int:
        return self.high_low_swapped + self.range_widened + self.volume_repaired

    @property
    def clean(self) -> bool:
        """Nothing dropped or repaired, no gaps and no outliers."""
        return not (self.rows_dropped or self.rows_repaired or self.gap_count
                    or self.outlier_count)

    def absorb(self, earlier: ValidationReport) -> None:
        """Add the drop and repair counts of an earlier pass over these bars (at ingest)."""
        for name in ("nan_prices_dropped", "non_positive_dropped", "duplicates_dropped",
                     "high_low_swapped", "range_widened", "volume_repaired"):
            setattr(self, name, getattr(self, name) + getattr(earlier, name))
        self.notes.extend(n for n in earlier.notes if n not in self.notes)

    def to_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload.update(rows_dropped=self.rows_dropped, rows_repaired=self.rows_repaired,
                       clean=self.clean, rules=dict(RULES))
        return payload

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> ValidationReport:
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in payload.items() if k in names}
        values["gaps"] = [Gap(**g) for g in values.get("gaps", [])]
        values["outliers"] = [Outlier(**o) for o in values.get("outliers", [])]
        return cls(**values)


def validate(bars: pd.DataFrame, interval: str, calendar: MarketCalendar,
             *, outlier_z: float = OUTLIER_Z) -> tuple[pd.DataFrame, ValidationReport]:
    """Clean ``bars`` (standardized, any order) and report; returns ascending unique bars."""
    report = ValidationReport(interval=interval, calendar=calendar.describe(),
                              rows_in=len(bars))
    if bars.empty:
        report.rows_out = 0
        return empty_bars(), report
    if bars.index.unit != "ns":
        bars = bars.set_axis(bars.index.as_unit("ns"), axis=0)
    frame = _drop_bad_prices(bars, report)
    frame = _drop_duplicates(frame, report)
    frame = _repair_ranges(frame, report)
    frame = frame.sort_index(kind="stable")
    report.rows_out = len(frame)
    _find_gaps(frame, interval, calendar, report)
    _find_outliers(frame, report, outlier_z)
    return frame, report


def _drop_bad_prices(bars: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    prices = bars[list(PRICE_COLUMNS)].to_numpy()
    missing = ~np.isfinite(prices).all(axis=1)
    non_positive = ~missing & (prices <= 0).any(axis=1)
    report.nan_prices_dropped = int(missing.sum())
    report.non_positive_dropped = int(non_positive.sum())
    if missing.any() or non_positive.any():
        return bars[~(missing | non_positive)]
    return bars


def _drop_duplicates(bars: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    duplicated = bars.index.duplicated(keep="last")
    report.duplicates_dropped = int(duplicated.sum())
    return bars[~duplicated] if duplicated.any() else bars


def _repair_ranges(bars: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    open_, high, low, close, volume = (bars[c].to_numpy(copy=True) for c in
                                       ("open", "high", "low", "close", "volume"))
    swapped = high < low
    if swapped.any():
        high[swapped], low[swapped] = low[swapped], high[swapped].copy()
    new_high = np.maximum.reduce([high, open_, close])
    new_low = np.minimum.reduce([low, open_, close])
    widened = (new_high != high) | (new_low != low)
    bad_volume = ~np.isfinite(volume) | (volume < 0)
    report.high_low_swapped = int(swapped.sum())
    report.range_widened = int(widened.sum())
    report.volume_repaired = int(bad_volume.sum())
    if not (swapped.any() or widened.any() or bad_volume.any()):
        return bars
    volume[bad_volume] = 0.0
    return pd.DataFrame({"open": open_, "high": new_high, "low": new_low, "close": close,
                         "volume": volume}, index=bars.index)


def _find_gaps(bars: pd.DataFrame, interval: str, calendar: MarketCalendar,
               report: ValidationReport) -> None:
    if len(bars) < 2:
        return
    step = interval_timedelta(interval)
    index = bars.index
    # Candidates first (vectorised): only steps longer than one bar need a calendar look.
    deltas = np.diff(index.as_unit("ns").asi8)
    candidates = np.flatnonzero(deltas > step.value)
    if candidates.size == 0:
        return
    closed = calendar.closed_days(index[0], index[-1])
    before, after = index[candidates], index[candidates + 1]
    missing = count_missing(calendar, before, after, step, closed)
    found = np.flatnonzero(missing > 0)
    report.gap_count = int(found.size)
    report.gaps = [Gap(before[i].isoformat(), after[i].isoformat(),
                       round((after[i] - before[i]) / pd.Timedelta(hours=1), 2))
                   for i in found[:MAX_LISTED]]


def _find_outliers(bars: pd.DataFrame, report: ValidationReport, threshold: float) -> None:
    close = bars["close"].to_numpy()
    if close.size < 3:
        return
    returns = np.diff(np.log(close))
    median = float(np.median(returns))
    mad = float(np.median(np.abs(returns - median)))
    if mad == 0.0:
        return  # flat series: no scale to measure surprises against
    z = 0.6745 * (returns - median) / mad
    flagged = np.flatnonzero(np.abs(z) > threshold)
    report.outlier_count = int(flagged.size)
    worst = flagged[np.argsort(-np.abs(z[flagged]))][:MAX_LISTED]
    report.outliers = [Outlier(bars.index[i + 1].isoformat(), round(float(returns[i]), 6),
                               round(float(z[i]), 2)) for i in sorted(worst)]
