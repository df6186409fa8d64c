"""Scale-free model inputs computed causally from OHLCV bars.

Every feature at bar t uses bars up to t only (rolling and recursive windows, never centred
ones), so a forecast made at t does not change when later bars arrive; the truncation test in
``tests/ml/forecast`` checks this. Prices are never fed to the network directly: returns,
ratios to price and oscillators centred on their neutral value are comparable across symbols
and across decades of the same symbol.

A feature is named ``base`` or ``base_N`` where N is its window, e.g. ``rsi_14``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^(?P<base>[a-z_]+?)(?:_(?P<window>\d+))?$")
# base name -> (takes a window?, default window)
_BASES: dict[str, tuple[bool, int | None]] = {
    "log_return": (False, None),
    "momentum": (True, 10),
    "realized_vol": (True, 20),
    "volume_z": (True, 20),
    "hl_range": (False, None),
    "rsi": (True, 14),
    "macd_hist": (False, None),
    "bb_pctb": (True, 20),
    "sma_gap": (True, 50),
    "atr_pct": (True, 14),
    "adx": (True, 14),
}
MAX_WINDOW = 500


def feature_bases() -> tuple[str, ...]:
    """The base names that can be used in a model's feature list."""
    return tuple(_BASES)


def parse_feature(name: str) -> tuple[str, int | None]:
    """Split ``rsi_14`` into ("rsi", 14); raise ValueError naming an unknown feature."""
    if not isinstance(name, str):
        raise ValueError(f"feature names must be strings, got {name!r}")
    if name in _BASES and not _BASES[name][0]:
        return name, None
    match = _NAME.match(name)
    base = match.group("base") if match else None
    if match is None or base not in _BASES:
        raise ValueError(f"unknown feature {name!r}; known: {', '.join(_BASES)} "
                         "(windowed ones as base_N, e.g. rsi_14)")
    takes_window, default = _BASES[base]
    window = match.group("window")
    if not takes_window:
        raise ValueError(f"feature {name!r} takes no window; use {base!r}")
    size = int(window) if window is not None else default
    if size is None or not 2 <= size <= MAX_WINDOW:
        raise ValueError(f"feature {name!r}: window must be between 2 and {MAX_WINDOW}")
    return base, size


def validate_feature_names(names: Sequence[str]) -> None:
    """Raise ValueError for an unknown or repeated feature name."""
    seen: set[str] = set()
    for name in names:
        parse_feature(name)
        if name in seen:
            raise ValueError(f"feature {name!r} is listed twice")
        seen.add(name)


def compute_features(bars: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """One float64 column per feature name, indexed like ``bars``; NaN during warm-up."""
    _check_bars(bars)
    arrays = _Arrays(bars)
    columns = {name: _compute_one(arrays, *parse_feature(name)) for name in names}
    return pd.DataFrame(columns, index=bars.index, dtype="float64")


def feature_matrix(bars: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Like :func:`compute_features` but a bare (rows, features) float64 array (faster)."""
    _check_bars(bars)
    arrays = _Arrays(bars)
    out = np.empty((len(bars), len(names)), dtype=np.float64)
    for column, name in enumerate(names):
        out[:, column] = _compute_one(arrays, *parse_feature(name))
    return out


def log_returns(close: np.ndarray) -> np.ndarray:
    """log(c_t / c_{t-1}); NaN for the first bar."""
    out = np.full(close.shape, np.nan)
    out[1:] = np.diff(np.log(close))
    return out


class _Arrays:
    """The bars as contiguous float64 arrays, plus the frame for the indicator registry."""

    def __init__(self, bars: pd.DataFrame) -> None:
        self.bars = bars
        self.open = np.ascontiguousarray(bars["open"].to_numpy(dtype=np.float64))
        self.high = np.ascontiguousarray(bars["high"].to_numpy(dtype=np.float64))
        self.low = np.ascontiguousarray(bars["low"].to_numpy(dtype=np.float64))
        self.close = np.ascontiguousarray(bars["close"].to_numpy(dtype=np.float64))
        self.volume = np.ascontiguousarray(bars["volume"].to_numpy(dtype=np.float64))
        self.returns = log_returns(self.close)


def _check_bars(bars: pd.DataFrame) -> None:
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in bars.columns]
    if missing:
        raise ValueError(f"bars lack columns: {', '.join(missing)}")
    if len(bars) and (bars["close"] <= 0).any():
        raise ValueError("bars contain a non-positive close; log returns are undefined")


def _compute_one(a: _Arrays, base: str, window: int | None) -> np.ndarray:  # noqa: C901
    """One feature; indicators come from ``ml.analytics.indicators`` (as the charts show)."""
    n = window or 0
    match base:
        case "log_return":
            return a.returns
        case "momentum":
            out = np.full(a.close.shape, np.nan)
            out[n:] = np.log(a.close[n:] / a.close[:-n])
            return out
        case "realized_vol":
            # Root mean square of log returns (realised volatility, no mean removed).
            import talib

            return np.sqrt(talib.SMA(a.returns * a.returns, timeperiod=n))
        case "volume_z":
            return _zscore(np.log1p(np.maximum(a.volume, 0.0)), n)
        case "hl_range":
            return np.log(a.high / a.low)
        case "rsi":
            return (_indicator(a, "rsi", "rsi", period=n) - 50.0) / 50.0
        case "macd_hist":
            return _indicator(a, "macd", "macd_hist", fast=12, slow=26, signal=9) / a.close
        case "bb_pctb":
            pctb = _indicator(a, "bbands", "bb_pctb", period=n, stddev=2.0) - 0.5
            middle = _indicator(a, "sma", "sma", period=n)
            return np.where(np.isfinite(middle) & ~np.isfinite(pctb), 0.0, pctb)
        case "sma_gap":
            return np.log(a.close / _indicator(a, "sma", "sma", period=n))
        case "atr_pct":
            return _indicator(a, "atr", "atr", period=n) / a.close
        case "adx":
            return _indicator(a, "adx", "adx", period=n) / 100.0
    raise ValueError(f"unknown feature base {base!r}")  # unreachable: parse_feature checked


def _indicator(a: _Arrays, name: str, output: str, **params: object) -> np.ndarray:
    """One output of ``ml.analytics.indicators.compute``; all NaN when the bars are shorter than its
    warm-up (the window check then rejects those rows, as for any warm-up)."""
    from ml.analytics import compute, get_spec

    spec = get_spec(name)
    resolved = spec.resolve(params)
    if len(a.bars) < spec.min_bars(resolved):
        return np.full(len(a.bars), np.nan)
    keys = [o.key for o in spec.outputs]
    column = spec.columns(resolved)[keys.index(output)]
    return compute(a.bars, name, **params)[column].to_numpy(dtype=np.float64)


def _zscore(values: np.ndarray, window: int) -> np.ndarray:
    """Rolling z-score; 0 where the window has no spread (e.g. a constant volume column)."""
    import talib

    mean = talib.SMA(values, timeperiod=window)
    std = talib.STDDEV(values, timeperiod=window, nbdev=1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(std > 1e-12, (values - mean) / std, 0.0)
    return np.where(np.isnan(mean), np.nan, z)
