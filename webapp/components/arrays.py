"""Compact arrays for figures: plotly encodes numpy arrays as base64 typed arrays.

Timestamps go as float64 milliseconds since the epoch (a plotly date axis reads them as UTC),
prices and indicator values as float32 (7 significant digits, plenty on screen). That keeps a
5,000-candle chart with indicators near 1 MB instead of several.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pandas as pd


def epoch_ms(index: pd.DatetimeIndex) -> np.ndarray:
    """Milliseconds since 1970 as float64 (exact for every date a chart shows)."""
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("ms").asi8.astype(np.float64)


def f32(values: object) -> np.ndarray:
    """float32 copy; NaN stays NaN (a gap in a line)."""
    return np.asarray(values, dtype=np.float32)


def price_decimals(close: pd.Series | np.ndarray) -> int:
    """Decimals to show for a price level: 2 for stocks, 4-6 for FX and cheap coins."""
    values = np.asarray(close, dtype=np.float64)
    values = values[np.isfinite(values)]
    level = float(np.median(np.abs(values))) if values.size else 1.0
    if level >= 10:
        return 2
    if level >= 1:
        return 4
    return 6


_TYPED = {"float64": "f8", "float32": "f4", "int32": "i4", "uint32": "u4", "int16": "i2",
          "uint16": "u2", "int8": "i1", "uint8": "u1"}


def typed_array(values: np.ndarray) -> dict[str, str]:
    """plotly.js's base64 typed-array spec (``{"dtype", "bdata"}``), decoded in the browser."""
    array = np.ascontiguousarray(values)
    if array.dtype.name not in _TYPED:
        array = array.astype(np.float64)
    return {"dtype": _TYPED[array.dtype.name],
            "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def encode_arrays(value: Any) -> Any:
    """Every numeric numpy array in a figure dict -> a typed-array spec (dicts are not
    converted by plotly's JSON encoder; only ``go.Figure`` objects are)."""
    if isinstance(value, np.ndarray):
        return typed_array(value) if value.dtype.kind in "fiub" else value.tolist()
    if isinstance(value, dict):
        return {k: encode_arrays(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_arrays(v) for v in value]
    return value
