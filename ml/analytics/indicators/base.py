"""What an indicator is: its parameters, its outputs and how to check a call before running it.

The registry entries (``IndicatorSpec``) carry everything the UI, the API and the feature
builder need to list, validate, draw and rescale an indicator without calling it.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

ParamValue = int | float | str
Family = Literal["overlays", "oscillators", "trend", "volatility", "volume", "returns"]
# How an output's numbers scale, so features can be made scale-free without guessing:
#   price        same units as the price (moving averages, bands, SAR): divide by close
#   price_change price differences (MACD, ATR): divide by close
#   bounded      fixed range given by value_range (RSI, %K, ADX)
#   ratio        already dimensionless (returns, ROC, %b, bandwidth, CCI, volatility)
#   volume       cumulative volume units (OBV): difference or z-score it
Units = Literal["price", "price_change", "bounded", "ratio", "volume"]

PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Param:
    """One parameter: its default fixes its type (int, float, or str with ``choices``)."""

    name: str
    default: ParamValue
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    description: str = ""

    @property
    def kind(self) -> str:
        if isinstance(self.default, str):
            return "choice"
        return "int" if isinstance(self.default, int) else "float"

    def validate(self, value: object, indicator: str) -> ParamValue:
        """Return ``value`` normalised to the parameter's type or raise a ValueError naming it."""
        where = f"{indicator}: parameter {self.name!r}"
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{where} must be one of {', '.join(self.choices)}; "
                                 f"got {value!r}")
            return value
        number = self._number(value, where)
        if self.minimum is not None and number < self.minimum or (
                self.maximum is not None and number > self.maximum):
            raise ValueError(f"{where} must be in {self.bounds_text()}; got {value!r}")
        return number

    def _number(self, value: object, where: str) -> int | float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{where} must be a number; got {value!r}")
        if self.kind == "int":
            if not isinstance(value, numbers.Integral):
                raise ValueError(f"{where} must be an integer; got {value!r}")
            return int(value)
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{where} must be finite; got {value!r}")
        return number

    def parse(self, text: str, indicator: str) -> ParamValue:
        """Parse a command-line value (``"14"``, ``"2.5"``, ``"session"``) and validate it."""
        if self.kind == "choice":
            return self.validate(text, indicator)
        try:
            value: int | float = int(text) if self.kind == "int" else float(text)
        except ValueError:
            raise ValueError(f"{indicator}: parameter {self.name!r} must be "
                             f"{'an integer' if self.kind == 'int' else 'a number'}; "
                             f"got {text!r}") from None
        return self.validate(value, indicator)

    def bounds_text(self) -> str:
        low = "-inf" if self.minimum is None else f"{self.minimum:g}"
        high = "inf" if self.maximum is None else f"{self.maximum:g}"
        return f"[{low}, {high}]"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "default": self.default,
                "minimum": self.minimum, "maximum": self.maximum,
                "choices": list(self.choices) or None, "description": self.description}


@dataclass(frozen=True)
class Output:
    """One output column: ``key`` plus the parameter suffix makes its name (``rsi_14``)."""

    key: str
    label: str
    units: Units
    overlay: bool = False
    value_range: tuple[float, float] | None = None
    # True when row t holds a value computed from bars after t (Ichimoku's chikou span):
    # fine on a chart, never usable as a model feature.
    uses_future: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "units": self.units,
                "overlay": self.overlay,
                "value_range": list(self.value_range) if self.value_range else None,
                "uses_future": self.uses_future}


@dataclass(frozen=True)
class IndicatorSpec:
    """A registry entry: enough to list, validate, compute and draw one indicator."""

    name: str
    label: str
    family: Family
    function: Callable[..., pd.DataFrame]
    params: tuple[Param, ...]
    outputs: tuple[Output, ...]
    inputs: tuple[str, ...]
    overlay: bool
    value_range: tuple[float, float] | None
    # Leading rows that are NaN for the given parameters (the longest output's warm-up).
    warmup: Callable[[Mapping[str, ParamValue]], int]
    description: str = ""
    check: Callable[[Mapping[str, ParamValue]], None] | None = field(default=None)
    positive_prices: bool = False

    @property
    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, object]) -> dict[str, ParamValue]:
        """Defaults overlaid with ``params``, each validated; unknown names are errors."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise ValueError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}; "
                             f"allowed: {allowed}")
        resolved = {name: param.validate(params.get(name, param.default), self.name)
                    for name, param in known.items()}
        if self.check is not None:
            self.check(resolved)
        return resolved

    def columns(self, params: Mapping[str, ParamValue] | None = None) -> list[str]:
        """Output column names for ``params`` (defaults where absent)."""
        values = {**self.defaults, **(params or {})}
        suffix = [values[p.name] for p in self.params]
        return [column_name(output.key, *suffix) for output in self.outputs]

    def min_bars(self, params: Mapping[str, ParamValue] | None = None) -> int:
        """Fewest bars that give at least one non-warm-up row."""
        return self.warmup({**self.defaults, **(params or {})}) + 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description for the API and ``--list``."""
        return {"name": self.name, "label": self.label, "family": self.family,
                "overlay": self.overlay,
                "value_range": list(self.value_range) if self.value_range else None,
                "inputs": list(self.inputs), "params": [p.to_dict() for p in self.params],
                "outputs": [o.to_dict() for o in self.outputs],
                "columns": self.columns(), "min_bars": self.min_bars(),
                "description": self.description}


def column_name(key: str, *values: ParamValue) -> str:
    """``column_name("rsi", 14) == "rsi_14"``; floats print short (``2.0`` -> ``2``)."""
    parts = [key, *(f"{v:g}" if isinstance(v, float) else str(v) for v in values)]
    return "_".join(parts)


def price(bars: pd.DataFrame, column: str) -> np.ndarray:
    """A contiguous float64 view of one column (a copy only when the dtype differs)."""
    return np.ascontiguousarray(bars[column].to_numpy(dtype=np.float64))


def frame(bars: pd.DataFrame, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The output frame: the given columns on the bars' index, nothing else."""
    return pd.DataFrame(columns, index=bars.index, copy=False)


def validate_bars(bars: object, inputs: tuple[str, ...], *, positive: bool = False) -> None:
    """Reject what would silently give wrong numbers: missing, non-finite or unordered data."""
    if not isinstance(bars, pd.DataFrame):
        raise ValueError(f"bars must be a pandas DataFrame; got {type(bars).__name__}")
    missing = [c for c in inputs if c not in bars.columns]
    if missing:
        raise ValueError(f"bars lack column(s) {', '.join(missing)}; have "
                         f"{', '.join(map(str, bars.columns))}")
    index = bars.index
    if not (index.is_monotonic_increasing and index.is_unique):
        raise ValueError("bars' index must be strictly increasing (sorted, no duplicates)")
    for column in inputs:
        values = price(bars, column)
        finite = np.isfinite(values)
        if not finite.all():
            at = index[int(np.argmin(finite))]
            raise ValueError(f"bars column {column!r} has a missing or infinite value at {at}")
        if positive and column in PRICE_COLUMNS and (values <= 0).any():
            at = index[int(np.argmax(values <= 0))]
            raise ValueError(f"bars column {column!r} has a non-positive price at {at}; "
                             "returns need positive prices")
