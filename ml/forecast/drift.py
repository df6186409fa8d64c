"""Drift detection on a model's live errors: pure functions over JSON-able state.

A model is judged against its own validation error. Two tests, either can flag:

* Page-Hinkley on absolute errors scaled by the validation MAE (so one threshold works for
  every symbol): the cumulative excess of the scaled error over ``1 + delta`` (the validation
  level plus a tolerance) is tracked against its running minimum, and a rise of more than
  ``threshold`` flags. With the validation error as the reference level this is the one-sided
  Page-Hinkley / CUSUM test for an increase of the mean.
* Interval coverage: of the last ``coverage_window`` forecasts, the number whose realised value
  fell inside the model's interval is binomial(n, nominal level) while the model is calibrated;
  a count below the ``coverage_alpha`` quantile of that distribution flags.

The state is a plain dict so the worker can keep it in the database between bars.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DriftConfig:
    """Thresholds of both tests; the defaults flag a tripled error within about 10 bars."""

    delta: float = 0.5
    threshold: float = 10.0
    min_bars: int = 5
    coverage_window: int = 50
    coverage_alpha: float = 0.01

    def __post_init__(self) -> None:
        if not self.delta >= 0:
            raise ValueError(f"delta must be >= 0, got {self.delta}")
        if not self.threshold > 0:
            raise ValueError(f"threshold must be > 0, got {self.threshold}")
        if self.min_bars < 1:
            raise ValueError(f"min_bars must be >= 1, got {self.min_bars}")
        if self.coverage_window < 10:
            raise ValueError(f"coverage_window must be >= 10, got {self.coverage_window}")
        if not 0 < self.coverage_alpha < 0.5:
            raise ValueError(f"coverage_alpha must be in (0, 0.5), got {self.coverage_alpha}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown drift config keys: {', '.join(unknown)}")
        return cls(**data)


@dataclass
class DriftState:
    """Everything the detector remembers between bars."""

    reference_mae: float
    coverage_level: float | None = None
    bars: int = 0
    cumulative: float = 0.0
    minimum: float = 0.0
    statistic: float = 0.0
    mean_scaled_error: float = 0.0
    hits: list[int] = field(default_factory=list)
    flagged: bool = False
    reason: str = ""
    flagged_at_bar: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.reference_mae) and self.reference_mae > 0):
            raise ValueError(f"reference_mae must be a positive number, got "
                             f"{self.reference_mae}")
        if self.coverage_level is not None and not 0 < self.coverage_level < 1:
            raise ValueError(f"coverage_level must be in (0, 1), got {self.coverage_level}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftState:
        return cls(**data)


def new_state(reference_mae: float, coverage_level: float | None = None) -> DriftState:
    """A fresh detector for a model whose validation MAE is ``reference_mae``."""
    return DriftState(reference_mae=float(reference_mae), coverage_level=coverage_level)


def update(state: DriftState, abs_error: float, inside_interval: bool | None = None,
           config: DriftConfig | None = None) -> DriftState:
    """Feed one realised forecast error; returns the same state, updated (flag is sticky)."""
    config = config or DriftConfig()
    if not math.isfinite(abs_error) or abs_error < 0:
        raise ValueError(f"abs_error must be a finite non-negative number, got {abs_error}")
    scaled = abs_error / state.reference_mae
    state.bars += 1
    state.mean_scaled_error += (scaled - state.mean_scaled_error) / state.bars
    state.cumulative += scaled - 1.0 - config.delta
    state.minimum = min(state.minimum, state.cumulative)
    state.statistic = state.cumulative - state.minimum
    if inside_interval is not None and state.coverage_level is not None:
        window = deque(state.hits, maxlen=config.coverage_window)
        window.append(int(bool(inside_interval)))
        state.hits = list(window)
    if not state.flagged:
        reason = _reason(state, config)
        if reason:
            state.flagged, state.reason, state.flagged_at_bar = True, reason, state.bars
            logger.info("drift flagged after %d bars: %s", state.bars, reason)
    return state


def _reason(state: DriftState, config: DriftConfig) -> str:
    if state.bars >= config.min_bars and state.statistic > config.threshold:
        return (f"Page-Hinkley: errors rose above the validation level (statistic "
                f"{state.statistic:.1f} > {config.threshold:g}; mean error "
                f"{state.mean_scaled_error:.2f}x validation MAE over {state.bars} bars)")
    if state.coverage_level is not None and len(state.hits) >= config.coverage_window:
        n, covered = len(state.hits), sum(state.hits)
        lowest = binomial_lower_bound(n, state.coverage_level, config.coverage_alpha)
        if covered < lowest:
            return (f"coverage: {covered}/{n} realised values inside the "
                    f"{state.coverage_level:.0%} interval, fewer than the {lowest} expected "
                    f"at the {config.coverage_alpha:g} level")
    return ""


def binomial_lower_bound(n: int, p: float, alpha: float) -> int:
    """The smallest count k with P(X < k) <= alpha < P(X <= k) for X ~ Binomial(n, p)."""
    if n < 1 or not 0 < p < 1 or not 0 < alpha < 1:
        raise ValueError(f"need n >= 1 and p, alpha in (0, 1); got n={n}, p={p}, alpha={alpha}")
    cumulative = 0.0
    for k in range(n + 1):
        probability = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if cumulative + probability > alpha:
            return k
        cumulative += probability
    return n
