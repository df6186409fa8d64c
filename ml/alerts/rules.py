"""Alert rules, evaluated on closed bars only: pure functions, no database, no Celery.

A rule is a type plus JSON parameters (``parse_rule`` validates and normalises them and names
the bad field). ``fire_mask`` says at which bars a rule's condition holds; ``throttle`` applies
cooldown and one-shot; ``replay`` runs a rule over history and, for forecast rules, scores how
often the forecast was right. The worker (``workers.alert_tasks``) feeds the same functions the
newest bars, so a replay shows exactly what the live rule would have done.

Forecast rules read a ``ForecastTable``: for every origin bar t, the predicted log return of the
close from t to t+h and its interval(s). Probabilities come from those intervals under one
stated assumption: the h-bar log return is normal with mean = the point forecast and standard
deviation = interval half-width / z, where z is the standard normal quantile of the interval's
level (1.96 for a 95% interval). See docs/alerts.md.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

logger = logging.getLogger(__name__)

CONDITIONS = ("above", "below", "crosses_up", "crosses_down")
DIRECTIONS = ("up", "down", "either")
SIDES = ("above", "below")
BAR_COLUMNS = ("open", "high", "low", "close", "volume")
PRICE_RULES = ("price", "price_move")
INDICATOR_RULES = ("indicator",)
FORECAST_RULES = ("forecast_move", "forecast_probability", "forecast_band", "forecast_flip")
RULE_TYPES = PRICE_RULES + INDICATOR_RULES + FORECAST_RULES
MAX_HORIZON = 500
MAX_WINDOW = 10_000
MIN_LOOKBACK = 60


class AlertRuleError(ValueError):
    """A rule parameter is wrong; ``field`` names it so a form can show the message beside it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


# --- rule definitions ------------------------------------------------------------------------

@dataclass(frozen=True)
class SeriesRef:
    """A bar column (``close``) or one output column of a registry indicator."""

    column: str = "close"
    indicator: str | None = None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        if self.indicator is None:
            return self.column
        args = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.indicator}({args}).{self.column}"

    @property
    def label(self) -> str:
        """``close``, ``rsi_14``, ``macd_signal_12_26_9``: the indicator's column name."""
        return self.column

    def warmup(self) -> int:
        if self.indicator is None:
            return 0
        from ml.analytics import get_spec

        return int(get_spec(self.indicator).warmup(dict(self.params)))

    def to_dict(self) -> dict[str, Any]:
        if self.indicator is None:
            return {"column": self.column}
        return {"indicator": self.indicator, "params": dict(self.params), "output": self.column}


@dataclass(frozen=True)
class Rule:
    """A validated rule: ``rule_type`` in ``RULE_TYPES`` and normalised ``params``."""

    rule_type: str
    params: Mapping[str, Any]
    left: SeriesRef | None = None
    right: SeriesRef | None = None

    @property
    def is_forecast(self) -> bool:
        return self.rule_type in FORECAST_RULES

    @property
    def horizon(self) -> int:
        return int(self.params.get("horizon", 1))

    def series(self) -> tuple[SeriesRef, ...]:
        """Series the rule reads (besides the close, which every rule has)."""
        return tuple(ref for ref in (self.left, self.right) if ref is not None)

    def lookback(self) -> int:
        """Bars to load before the newest one so indicators are warmed up and windows full."""
        warm = max((ref.warmup() for ref in self.series()), default=0)
        window = int(self.params.get("window", 0)) + self.horizon
        # Exponential indicators (RSI, EMA, MACD) still move for several periods after their
        # first value: 3x the warm-up makes the live value match a full-history computation.
        return max(MIN_LOOKBACK, 3 * warm + 10, window + 2)

    def to_dict(self) -> dict[str, Any]:
        return {"rule_type": self.rule_type, "params": dict(self.params)}


def parse_rule(rule_type: object, params: Mapping[str, Any] | None) -> Rule:
    """Validate ``params`` for ``rule_type``; raise ``AlertRuleError`` naming the bad field."""
    if rule_type not in RULE_TYPES:
        raise AlertRuleError("rule_type", f"must be one of {', '.join(RULE_TYPES)}; "
                                          f"got {rule_type!r}")
    if not isinstance(params, Mapping):
        raise AlertRuleError("params", f"must be an object; got {type(params).__name__}")
    parser = _PARSERS[str(rule_type)]
    return parser(params)


def _parse_price(params: Mapping[str, Any]) -> Rule:
    condition = _choice(params, "condition", CONDITIONS)
    level = _number(params, "level", positive=True)
    return Rule("price", {"condition": condition, "level": level}, left=SeriesRef("close"))


def _parse_price_move(params: Mapping[str, Any]) -> Rule:
    percent = _number(params, "percent", positive=True)
    window = _integer(params, "window", 1, MAX_WINDOW)
    direction = _choice(params, "direction", DIRECTIONS, default="either")
    return Rule("price_move", {"percent": percent, "window": window, "direction": direction},
                left=SeriesRef("close"))


def _parse_indicator(params: Mapping[str, Any]) -> Rule:
    left = _series(params.get("left"), "left")
    condition = _choice(params, "condition", CONDITIONS)
    normalised: dict[str, Any] = {"left": left.to_dict(), "condition": condition}
    right: SeriesRef | None = None
    if params.get("right") is not None:
        if params.get("level") is not None:
            raise AlertRuleError("level", "give either a level or a right-hand series, not both")
        right = _series(params.get("right"), "right")
        normalised["right"] = right.to_dict()
    else:
        normalised["level"] = _number(params, "level")
    return Rule("indicator", normalised, left=left, right=right)


def _parse_forecast_move(params: Mapping[str, Any]) -> Rule:
    return Rule("forecast_move", {
        "horizon": _integer(params, "horizon", 1, MAX_HORIZON),
        "percent": _number(params, "percent", positive=True),
        "direction": _choice(params, "direction", DIRECTIONS, default="either")})


def _parse_forecast_probability(params: Mapping[str, Any]) -> Rule:
    probability = _number(params, "probability")
    if not 0.0 < probability < 1.0:
        raise AlertRuleError("probability", f"must be between 0 and 1; got {probability}")
    return Rule("forecast_probability", {
        "horizon": _integer(params, "horizon", 1, MAX_HORIZON),
        "level": _number(params, "level", positive=True),
        "side": _choice(params, "side", SIDES),
        "probability": probability})


def _parse_forecast_band(params: Mapping[str, Any]) -> Rule:
    coverage = _number(params, "coverage", default=0.95)
    if not 0.5 <= coverage < 1.0:
        raise AlertRuleError("coverage", f"must be in [0.5, 1); got {coverage}")
    return Rule("forecast_band", {"horizon": _integer(params, "horizon", 1, MAX_HORIZON,
                                                      default=1),
                                  "coverage": coverage})


def _parse_forecast_flip(params: Mapping[str, Any]) -> Rule:
    return Rule("forecast_flip", {"horizon": _integer(params, "horizon", 1, MAX_HORIZON,
                                                      default=1)})


_PARSERS = {"price": _parse_price, "price_move": _parse_price_move,
            "indicator": _parse_indicator, "forecast_move": _parse_forecast_move,
            "forecast_probability": _parse_forecast_probability,
            "forecast_band": _parse_forecast_band, "forecast_flip": _parse_forecast_flip}


def _number(params: Mapping[str, Any], name: str, *, positive: bool = False,
            default: float | None = None) -> float:
    value = params.get(name, default)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise AlertRuleError(name, f"must be a number; got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlertRuleError(name, f"must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise AlertRuleError(name, f"must be finite; got {value!r}")
    if positive and number <= 0:
        raise AlertRuleError(name, f"must be above 0; got {value!r}")
    return number


def _integer(params: Mapping[str, Any], name: str, low: int, high: int,
             default: int | None = None) -> int:
    value = params.get(name, default)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise AlertRuleError(name, f"must be a whole number; got {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AlertRuleError(name, f"must be a whole number; got {value!r}")
    if not low <= value <= high:
        raise AlertRuleError(name, f"must be between {low} and {high}; got {value}")
    return value


def _choice(params: Mapping[str, Any], name: str, choices: Sequence[str],
            default: str | None = None) -> str:
    value = params.get(name, default)
    if value not in choices:
        raise AlertRuleError(name, f"must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _series(raw: object, name: str) -> SeriesRef:
    """``{"column": "close"}`` or ``{"indicator": "sma", "params": {...}, "output": ...}``."""
    if isinstance(raw, str):
        raw = {"column": raw} if raw in BAR_COLUMNS else {"indicator": raw}
    if not isinstance(raw, Mapping):
        raise AlertRuleError(name, f"must name a bar column or an indicator; got {raw!r}")
    if raw.get("indicator") is None:
        column = raw.get("column", "close")
        if column not in BAR_COLUMNS:
            raise AlertRuleError(name, f"column must be one of {', '.join(BAR_COLUMNS)}; "
                                       f"got {column!r}")
        return SeriesRef(str(column))
    from ml.analytics import REGISTRY

    spec = REGISTRY.get(str(raw["indicator"]))
    if spec is None:
        raise AlertRuleError(name, f"unknown indicator {raw['indicator']!r}; known: "
                                   f"{', '.join(sorted(REGISTRY))}")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise AlertRuleError(name, f"{spec.name} parameters must be an object; got {params!r}")
    try:
        resolved = spec.resolve(dict(params))
    except ValueError as error:
        raise AlertRuleError(name, str(error)) from None
    columns = spec.columns(resolved)
    output = raw.get("output") or columns[0]
    if output not in columns:
        raise AlertRuleError(name, f"{spec.name} has outputs {', '.join(columns)}; "
                                   f"got {output!r}")
    return SeriesRef(str(output), spec.name, tuple(resolved.items()))


_SERIES_TEXT = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*(?:\.\s*([A-Za-z0-9_.]+))?\s*$")


def series_from_text(text: str, field_name: str = "left") -> dict[str, Any]:
    """Parse what a user types for a series: ``close``, ``rsi``, ``rsi(14)``, ``sma(period=50)``,
    ``macd(12, 26, 9).signal`` (an output's key or full column name). Positional arguments
    follow the indicator's parameter order. Raises ``AlertRuleError`` naming ``field_name``."""
    match = _SERIES_TEXT.match(text or "")
    if not match:
        raise AlertRuleError(field_name, f"write a column (close) or an indicator like rsi(14); "
                                         f"got {text!r}")
    name, args, output = match.group(1).lower(), match.group(2), match.group(3)
    if name in BAR_COLUMNS and args is None and output is None:
        return {"column": name}
    from ml.analytics import REGISTRY

    spec = REGISTRY.get(name)
    if spec is None:
        raise AlertRuleError(field_name, f"unknown indicator {name!r}; known: "
                                         f"{', '.join(sorted(REGISTRY))}")
    params: dict[str, Any] = {}
    for position, part in enumerate(p.strip() for p in (args or "").split(",") if p.strip()):
        key, _, value = part.rpartition("=")
        if not key and position >= len(spec.params):
            raise AlertRuleError(field_name, f"{name} takes at most {len(spec.params)} "
                                             f"argument(s)")
        param = spec.params[position] if not key else next(
            (q for q in spec.params if q.name == key.strip()), None)
        if param is None:
            raise AlertRuleError(field_name, f"{name} has no parameter {key.strip()!r}")
        try:
            params[param.name] = param.parse(value.strip(), name)
        except ValueError as error:
            raise AlertRuleError(field_name, str(error)) from None
    result: dict[str, Any] = {"indicator": name, "params": params}
    if output:
        columns = spec.columns({**spec.defaults, **params})
        by_key = {o.key: c for o, c in zip(spec.outputs, columns, strict=True)}
        suffix = [c for k, c in by_key.items() if k.endswith(f"_{output}")]
        result["output"] = by_key.get(output) or (suffix[0] if len(suffix) == 1 else output)
    return result


def series_to_text(series: Mapping[str, Any] | None) -> str:
    """The text a user would type for a stored series (the inverse of ``series_from_text``)."""
    if not series:
        return ""
    if series.get("indicator") is None:
        return str(series.get("column", "close"))
    from ml.analytics import REGISTRY

    name = str(series["indicator"])
    params = dict(series.get("params") or {})
    spec = REGISTRY.get(name)
    if spec is None:
        return name
    values = {**spec.defaults, **params}
    text = f"{name}({', '.join(str(values[p.name]) for p in spec.params)})"
    output = series.get("output")
    first = spec.columns(values)[0]
    return f"{text}.{output}" if output and output != first else text


# --- forecasts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastTable:
    """Forecasts made at origin bars: ``point[i, h-1]`` is the predicted log return of the close
    from ``origins[i]`` to h bars later; ``intervals[level] = (lower, upper)`` the same shape.

    Missing forecasts are NaN rows. ``align`` puts a table on a bar index.
    """

    origins: pd.DatetimeIndex
    point: np.ndarray
    intervals: Mapping[float, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        point = np.asarray(self.point, dtype=np.float64)
        if point.ndim != 2 or point.shape[0] != len(self.origins):
            raise ValueError(f"point must be (len(origins), H); got {point.shape} for "
                             f"{len(self.origins)} origins")
        for level, (lower, upper) in self.intervals.items():
            if not 0 < level < 1:
                raise ValueError(f"interval level must be in (0, 1); got {level}")
            if np.shape(lower) != point.shape or np.shape(upper) != point.shape:
                raise ValueError(f"interval {level} must have shape {point.shape}")

    @property
    def horizons(self) -> int:
        return int(np.shape(self.point)[1])

    def align(self, index: pd.DatetimeIndex) -> ForecastTable:
        """The table on ``index``: rows for bars without a forecast are NaN."""
        positions = self.origins.get_indexer(index)
        found = positions >= 0

        def take(values: np.ndarray) -> np.ndarray:
            out = np.full((len(index), self.horizons), np.nan)
            out[found] = np.asarray(values, dtype=np.float64)[positions[found]]
            return out

        return ForecastTable(index, take(self.point),
                             {lv: (take(lo), take(up)) for lv, (lo, up) in
                              self.intervals.items()})

    def sigma(self, horizon: int) -> np.ndarray:
        """Implied standard deviation of the h-bar log return (normal assumption).

        Uses the 95% interval when present, else the widest level given.
        """
        if not self.intervals:
            raise ValueError("forecast has no intervals: probabilities and bands need them")
        level = 0.95 if 0.95 in self.intervals else max(self.intervals)
        lower, upper = self.intervals[level]
        z = float(ndtri(0.5 + level / 2))
        h = horizon - 1
        return (np.asarray(upper)[:, h] - np.asarray(lower)[:, h]) / (2.0 * z)

    def band(self, horizon: int, coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """Log-return band at ``coverage``: the stored interval, or mean +- z sigma."""
        h = horizon - 1
        for level, (lower, upper) in self.intervals.items():
            if abs(level - coverage) < 1e-9:
                return np.asarray(lower)[:, h], np.asarray(upper)[:, h]
        z = float(ndtri(0.5 + coverage / 2))
        mean = np.asarray(self.point)[:, h]
        spread = z * self.sigma(horizon)
        return mean - spread, mean + spread


def probability_beyond(table: ForecastTable, closes: np.ndarray, horizon: int, level: float,
                       side: str) -> np.ndarray:
    """P(close at t+h is above/below ``level``) for each origin t, under the normal assumption."""
    mean = np.asarray(table.point)[:, horizon - 1]
    sigma = table.sigma(horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.log(level / closes)
        z = (threshold - mean) / sigma
    below = ndtr(z)
    result = 1.0 - below if side == "above" else below
    # A zero-width interval is a certain forecast: the probability is 0 or 1.
    degenerate = sigma <= 0
    if degenerate.any():
        certain = (mean > threshold) if side == "above" else (mean < threshold)
        result = np.where(degenerate, certain.astype(float), result)
    return np.where(np.isfinite(mean) & np.isfinite(sigma), result, np.nan)


# --- evaluation ------------------------------------------------------------------------------

class SeriesCache:
    """Bars of one symbol and interval with their indicator series, computed once and shared by
    every rule on that symbol (the worker evaluates thousands of rules per new bar)."""

    def __init__(self, bars: pd.DataFrame, forecasts: ForecastTable | None = None) -> None:
        self.bars = bars
        self.index = pd.DatetimeIndex(bars.index)
        self.ts = self.index.as_unit("s").asi8 if len(bars) else np.empty(0, dtype=np.int64)
        self.close = bars["close"].to_numpy(dtype=np.float64)
        self.forecasts = forecasts.align(self.index) if forecasts is not None else None
        self._series: dict[str, np.ndarray] = {}
        self._frames: dict[tuple[Any, ...], pd.DataFrame | None] = {}

    def __len__(self) -> int:
        return len(self.close)

    def series(self, ref: SeriesRef) -> np.ndarray:
        cached = self._series.get(ref.key)
        if cached is not None:
            return cached
        if ref.indicator is None:
            values = self.bars[ref.column].to_numpy(dtype=np.float64)
        else:
            values = self._indicator(ref)
        self._series[ref.key] = values
        return values

    def _indicator(self, ref: SeriesRef) -> np.ndarray:
        key = (ref.indicator, ref.params)
        if key not in self._frames:
            from ml.analytics import get_spec

            # ``parse_rule`` validated the parameters; ``compute``'s per-call checks of the
            # bars cost more than the indicator itself when thousands of rules share them.
            spec = get_spec(str(ref.indicator))
            params = dict(ref.params)
            if len(self) < spec.min_bars(params):  # too few bars: nothing can fire yet
                self._frames[key] = None
            else:
                self._frames[key] = spec.function(self.bars, **params)
        frame = self._frames[key]
        if frame is None:
            return np.full(len(self), np.nan)
        return frame[ref.column].to_numpy(dtype=np.float64)


def _compare(left: np.ndarray, right: np.ndarray | np.float64, condition: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if condition == "above":
            return left > right
        if condition == "below":
            return left < right
        prev_left = np.concatenate([[np.nan], left[:-1]])
        prev_right = (np.concatenate([[np.nan], right[:-1]]) if isinstance(right, np.ndarray)
                      and right.ndim else right)
        if condition == "crosses_up":
            return (prev_left <= prev_right) & (left > right)
        return (prev_left >= prev_right) & (left < right)


def _directional(move: np.ndarray, threshold: float, direction: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if direction == "up":
            return move >= threshold
        if direction == "down":
            return move <= -threshold
        return np.abs(move) >= threshold


def _shift(values: np.ndarray, periods: int) -> np.ndarray:
    out = np.full_like(values, np.nan, dtype=np.float64)
    if periods < len(values):
        out[periods:] = values[:len(values) - periods]
    return out


def _price_move(rule: Rule, cache: SeriesCache) -> np.ndarray:
    """Close now against the lowest (highest) close of the previous ``window`` bars."""
    window = int(rule.params["window"])
    n = len(cache)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    if n > window:
        windows = np.lib.stride_tricks.sliding_window_view(cache.close[:-1], window)
        low[window:] = windows.min(axis=1)
        high[window:] = windows.max(axis=1)
    threshold = float(rule.params["percent"]) / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        up = cache.close / low - 1.0 >= threshold
        down = cache.close / high - 1.0 <= -threshold
    direction = rule.params["direction"]
    if direction == "up":
        return up
    if direction == "down":
        return down
    return up | down


def _forecasts(cache: SeriesCache, rule: Rule) -> ForecastTable:
    if cache.forecasts is None:
        raise ValueError(f"{rule.rule_type} needs forecasts; none were given")
    if rule.horizon > cache.forecasts.horizons:
        raise ValueError(f"{rule.rule_type}: horizon {rule.horizon} is beyond the forecast's "
                         f"{cache.forecasts.horizons} bars")
    return cache.forecasts


def _forecast_mask(rule: Rule, cache: SeriesCache) -> np.ndarray:
    table = _forecasts(cache, rule)
    h = rule.horizon
    point = np.asarray(table.point)[:, h - 1]
    if rule.rule_type == "forecast_move":
        move = np.expm1(point)
        return _directional(move, float(rule.params["percent"]) / 100.0,
                            str(rule.params["direction"]))
    if rule.rule_type == "forecast_probability":
        p = probability_beyond(table, cache.close, h, float(rule.params["level"]),
                               str(rule.params["side"]))
        with np.errstate(invalid="ignore"):
            return p >= float(rule.params["probability"])
    if rule.rule_type == "forecast_band":
        lower, upper = band_prices(table, cache.close, h, float(rule.params["coverage"]))
        with np.errstate(invalid="ignore"):
            return (cache.close < lower) | (cache.close > upper)
    previous = _shift(point, 1)
    with np.errstate(invalid="ignore"):
        return np.sign(point) * np.sign(previous) < 0


def band_prices(table: ForecastTable, closes: np.ndarray, horizon: int,
                coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """The price band for each bar t, as forecast at bar t-h for h bars ahead."""
    lower, upper = table.band(horizon, coverage)
    origin_close = _shift(closes, horizon)
    return origin_close * np.exp(_shift(lower, horizon)), origin_close * np.exp(
        _shift(upper, horizon))


def fire_mask(rule: Rule, cache: SeriesCache) -> np.ndarray:
    """Boolean per bar: the rule's condition holds at that (closed) bar."""
    if rule.rule_type == "price":
        level = np.float64(rule.params["level"])
        return _compare(cache.close, level, str(rule.params["condition"]))
    if rule.rule_type == "price_move":
        return _price_move(rule, cache)
    if rule.rule_type == "indicator":
        assert rule.left is not None
        left = cache.series(rule.left)
        right = (cache.series(rule.right) if rule.right is not None
                 else np.float64(rule.params["level"]))
        return _compare(left, right, str(rule.params["condition"]))
    return _forecast_mask(rule, cache)


def fire_matrix(rules: Sequence[Rule], cache: SeriesCache,
                positions: np.ndarray) -> np.ndarray:
    """``fire_mask`` of many rules at a few bar positions: a (rules, positions) matrix.

    The live check asks thousands of rules about one new bar. Rules comparing one series
    with a level are grouped by (series, condition) and compared with all their levels in one
    vectorised step; rules with identical definitions share one mask. Same answers as
    ``fire_mask`` (the tests check it), far fewer numpy calls.
    """
    positions = np.asarray(positions, dtype=np.int64)
    out = np.zeros((len(rules), len(positions)), dtype=bool)
    groups: dict[tuple[str, str], list[int]] = {}
    shared: dict[tuple[str, str], list[int]] = {}
    for row, rule in enumerate(rules):
        if rule.rule_type in ("price", "indicator") and rule.right is None:
            ref = rule.left or SeriesRef("close")
            groups.setdefault((ref.key, str(rule.params["condition"])), []).append(row)
        else:
            key = (rule.rule_type, repr(sorted(rule.params.items())))
            shared.setdefault(key, []).append(row)
    for (_, condition), rows in groups.items():
        ref = rules[rows[0]].left or SeriesRef("close")
        series = cache.series(ref)
        levels = np.array([float(rules[r].params["level"]) for r in rows])[:, None]
        current = series[positions][None, :]
        previous = np.where(positions > 0, series[np.maximum(positions - 1, 0)],
                            np.nan)[None, :]
        with np.errstate(invalid="ignore"):
            if condition == "above":
                hit = current > levels
            elif condition == "below":
                hit = current < levels
            elif condition == "crosses_up":
                hit = (previous <= levels) & (current > levels)
            else:
                hit = (previous >= levels) & (current < levels)
        out[rows] = hit
    for rows in shared.values():
        out[rows] = np.asarray(fire_mask(rules[rows[0]], cache), dtype=bool)[positions]
    return out


def describe(rule: Rule, cache: SeriesCache, i: int) -> dict[str, Any]:
    """What happened at bar ``i``, for the event payload and the replay table."""
    close = float(cache.close[i])
    detail: dict[str, Any] = {"close": close}
    p = rule.params
    if rule.rule_type == "price":
        text = f"close {close:.6g} {_said(p['condition'])} {p['level']:g}"
    elif rule.rule_type == "price_move":
        text = f"close {close:.6g} moved {p['direction'] if p['direction'] != 'either' else ''}" \
               f" more than {p['percent']:g}% within {p['window']} bars".replace("  ", " ")
    elif rule.rule_type == "indicator":
        text = _describe_indicator(rule, cache, i, detail)
    else:
        text = _describe_forecast(rule, cache, i, detail)
    detail["message"] = text
    return detail


def _describe_indicator(rule: Rule, cache: SeriesCache, i: int, detail: dict[str, Any]) -> str:
    assert rule.left is not None
    left = float(cache.series(rule.left)[i])
    detail["left"] = left
    if rule.right is not None:
        right = float(cache.series(rule.right)[i])
        detail["right"] = right
        target = f"{rule.right.label} {right:.6g}"
    else:
        target = f"{rule.params['level']:g}"
    return f"{rule.left.label} {left:.6g} {_said(rule.params['condition'])} {target}"


def _describe_forecast(rule: Rule, cache: SeriesCache, i: int, detail: dict[str, Any]) -> str:
    table = _forecasts(cache, rule)
    h = rule.horizon
    point = float(np.asarray(table.point)[i, h - 1])
    detail["predicted_log_return"] = point
    move = math.expm1(point) * 100 if math.isfinite(point) else float("nan")
    if rule.rule_type == "forecast_move":
        return f"forecast: {move:+.2f}% over {h} bars"
    if rule.rule_type == "forecast_probability":
        prob = float(probability_beyond(table, cache.close, h, float(rule.params["level"]),
                                        str(rule.params["side"]))[i])
        detail["probability"] = prob
        return (f"P(close {rule.params['side']} {rule.params['level']:g} in {h} bars) = "
                f"{prob:.0%}")
    if rule.rule_type == "forecast_band":
        lower, upper = band_prices(table, cache.close, h, float(rule.params["coverage"]))
        detail["band"] = [float(lower[i]), float(upper[i])]
        return (f"close {cache.close[i]:.6g} left the {rule.params['coverage']:.0%} band "
                f"[{lower[i]:.6g}, {upper[i]:.6g}]")
    return f"forecast direction flipped to {'up' if point > 0 else 'down'} ({move:+.2f}%)"


def _said(condition: str) -> str:
    return {"above": "is above", "below": "is below", "crosses_up": "crossed above",
            "crosses_down": "crossed below"}[condition]


# --- cooldown, one-shot, replay --------------------------------------------------------------

def throttle(candidates: Sequence[int] | np.ndarray, bar_ts: np.ndarray, *, cooldown_s: int,
             one_shot: bool, last_fired_ts: int | None = None) -> list[int]:
    """Positions (among ``candidates``) that fire after cooldown and one-shot are applied.

    Cooldown is measured in bar time (seconds between bar timestamps), so a replay and the live
    worker agree whatever the wall clock did.
    """
    if cooldown_s < 0:
        raise ValueError(f"cooldown_s must be >= 0; got {cooldown_s}")
    fired: list[int] = []
    last = last_fired_ts
    for position in candidates:
        ts = int(bar_ts[position])
        if last is not None and ts - last < cooldown_s:
            continue
        if one_shot and last is not None:
            break
        fired.append(int(position))
        last = ts
        if one_shot:
            break
    return fired


@dataclass(frozen=True)
class Firing:
    """One bar at which a rule fired, with what the user is told."""

    ts: pd.Timestamp
    position: int
    detail: dict[str, Any]
    outcome: bool | None = None  # forecast rules: was the forecast right (None = not yet known)

    def to_dict(self) -> dict[str, Any]:
        return {"ts": self.ts.isoformat(), "detail": self.detail, "outcome": self.outcome}


@dataclass(frozen=True)
class ReplayResult:
    """A rule run over history: when it would have fired and how often forecasts were right."""

    rule: Rule
    bars: int
    firings: list[Firing]
    right: int = 0
    scored: int = 0
    accuracy_definition: str = ""
    coverage: float | None = None  # forecast_band: share of bars inside the band

    @property
    def hit_rate(self) -> float | None:
        return self.right / self.scored if self.scored else None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.to_dict(), "bars": self.bars,
                "firings": [f.to_dict() for f in self.firings], "right": self.right,
                "scored": self.scored, "hit_rate": self.hit_rate,
                "accuracy_definition": self.accuracy_definition, "coverage": self.coverage}


ACCURACY = {
    "forecast_move": "the close h bars later moved in the predicted direction",
    "forecast_probability": "the close h bars later ended on the predicted side of the level",
    "forecast_band": "the close fell inside the band forecast h bars earlier (coverage)",
    "forecast_flip": "the close h bars later moved in the new predicted direction",
}


def replay(rule: Rule, bars: pd.DataFrame, forecasts: ForecastTable | None = None, *,
           cooldown_s: int = 0, one_shot: bool = False,
           start: pd.Timestamp | None = None) -> ReplayResult:
    """Run ``rule`` over ``bars`` (closed bars, ascending) as the live worker would have."""
    cache = SeriesCache(bars, forecasts)
    mask = np.asarray(fire_mask(rule, cache), dtype=bool)
    if start is not None:
        mask &= np.asarray(cache.index >= start)
    positions = throttle(np.flatnonzero(mask), cache.ts, cooldown_s=cooldown_s,
                         one_shot=one_shot)
    firings = [Firing(cache.index[i], i, describe(rule, cache, i), _outcome(rule, cache, i))
               for i in positions]
    scored = [f for f in firings if f.outcome is not None]
    right, total = sum(bool(f.outcome) for f in scored), len(scored)
    coverage = None
    if rule.rule_type == "forecast_band":
        right, total = _band_coverage(rule, cache)
        coverage = right / total if total else None
    return ReplayResult(rule, len(cache), firings, right=right, scored=total,
                        accuracy_definition=ACCURACY.get(rule.rule_type, ""), coverage=coverage)


def _outcome(rule: Rule, cache: SeriesCache, i: int) -> bool | None:
    """Was the forecast behind a firing at bar ``i`` right? None when not a forecast rule or
    the h bars after it have not closed yet."""
    if not rule.is_forecast or rule.rule_type == "forecast_band":
        return None
    h = rule.horizon
    if i + h >= len(cache):
        return None
    realised = math.log(cache.close[i + h] / cache.close[i])
    point = float(np.asarray(_forecasts(cache, rule).point)[i, h - 1])
    if rule.rule_type == "forecast_probability":
        level = float(rule.params["level"])
        ended = cache.close[i + h]
        return bool(ended > level) if rule.params["side"] == "above" else bool(ended < level)
    if realised == 0 or point == 0:
        return False
    return bool(np.sign(realised) == np.sign(point))


def _band_coverage(rule: Rule, cache: SeriesCache) -> tuple[int, int]:
    """(bars inside the band, bars with a band): the band rule's measure of being right."""
    lower, upper = band_prices(_forecasts(cache, rule), cache.close, rule.horizon,
                               float(rule.params["coverage"]))
    known = np.isfinite(lower) & np.isfinite(upper)
    inside = (cache.close[known] >= lower[known]) & (cache.close[known] <= upper[known])
    return int(inside.sum()), int(known.sum())


__all__ = ["CONDITIONS", "FORECAST_RULES", "RULE_TYPES", "AlertRuleError", "Firing",
           "ForecastTable", "ReplayResult", "Rule", "SeriesCache", "SeriesRef", "describe",
           "fire_mask", "fire_matrix", "parse_rule", "probability_beyond", "replay",
           "series_from_text", "series_to_text", "throttle"]
