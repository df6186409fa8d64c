"""Targets, sliding windows and chronological splits for the sequence models.

A *sample* is a bar t with a full window of features ending at t; its target is the log return
(or log realised variance) over the next h = 1..H bars. Splits are contiguous in time, in the
order train, validation, calibration, test, and each split drops its last H samples so that no
training target overlaps the period a later split is scored on (purging).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

SPLIT_NAMES = ("train", "validation", "calibration", "test")
DEFAULT_FRACTIONS = (0.6, 0.1, 0.15, 0.15)
VARIANCE_FLOOR = 1e-12


def return_targets(close: np.ndarray, horizon: int) -> np.ndarray:
    """(rows, H): log(c_{t+h} / c_t) for h = 1..H; NaN where t+h is beyond the data."""
    log_close = np.log(np.asarray(close, dtype=np.float64))
    n = len(log_close)
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        out[: n - h, h - 1] = log_close[h:] - log_close[: n - h]
    return out


def variance_targets(close: np.ndarray, horizon: int) -> np.ndarray:
    """(rows, H): log of the realised variance sum(r_{t+i}^2, i=1..h); NaN beyond the data."""
    log_close = np.log(np.asarray(close, dtype=np.float64))
    n = len(log_close)
    squared = np.full(n, np.nan)
    squared[1:] = np.diff(log_close) ** 2
    cumulative = np.concatenate([[0.0], np.nancumsum(squared[1:])])  # cumulative[t] = sum r_1..r_t
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        realised = cumulative[h:] - cumulative[: n - h]
        out[: n - h, h - 1] = np.log(np.maximum(realised, VARIANCE_FLOOR))
    return out


def window_ends(features: np.ndarray, window_length: int) -> np.ndarray:
    """Indices t whose window [t-L+1, t] has finite features in every row and column."""
    finite = np.isfinite(features).all(axis=1).astype(np.int64)
    run = np.concatenate([[0], np.cumsum(finite)])
    ends = np.arange(window_length - 1, len(features))
    full = (run[ends + 1] - run[ends + 1 - window_length]) == window_length
    return ends[full]


def make_windows(scaled: np.ndarray, ends: np.ndarray, window_length: int) -> np.ndarray:
    """(len(ends), L, features) float32 windows ending at each index in ``ends``."""
    if len(ends) == 0:
        return np.empty((0, window_length, scaled.shape[1]), dtype=np.float32)
    view = np.lib.stride_tricks.sliding_window_view(scaled, window_length, axis=0)
    # view[i] is rows i..i+L-1 with shape (features, L)
    return np.ascontiguousarray(view[ends - window_length + 1].transpose(0, 2, 1),
                                dtype=np.float32)


@dataclass(frozen=True)
class SplitPlan:
    """Positions in the sample array: [0, train_end) train, then validation, calibration, test.

    ``test_end`` is exclusive; the last H samples of train, validation and calibration are
    dropped (purged) by :meth:`indices`.
    """

    train_end: int
    validation_end: int
    calibration_end: int
    test_end: int
    train_start: int = 0

    @classmethod
    def from_fractions(cls, n_samples: int,
                       fractions: tuple[float, float, float, float] = DEFAULT_FRACTIONS
                       ) -> SplitPlan:
        if len(fractions) != 4 or any(f <= 0 for f in fractions):
            raise ValueError(f"split fractions must be four positive numbers, got {fractions}")
        total = sum(fractions)
        bounds = np.round(np.cumsum(fractions) / total * n_samples).astype(int)
        return cls(int(bounds[0]), int(bounds[1]), int(bounds[2]), n_samples)

    def is_increasing(self) -> bool:
        return (0 <= self.train_start < self.train_end <= self.validation_end
                <= self.calibration_end <= self.test_end)

    def indices(self, horizon: int) -> dict[str, np.ndarray]:
        """Sample positions of each split after purging."""
        if not self.is_increasing():
            raise ValueError(f"split positions must be increasing, got {self}")
        starts = (self.train_start, self.train_end, self.validation_end, self.calibration_end)
        ends = (self.train_end, self.validation_end, self.calibration_end, self.test_end)
        out = {}
        for i, (name, start, end) in enumerate(zip(SPLIT_NAMES, starts, ends, strict=True)):
            stop = end if i == len(SPLIT_NAMES) - 1 else end - horizon
            out[name] = np.arange(start, max(start, stop))
        return out
