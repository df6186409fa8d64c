"""Split conformal prediction intervals, optionally scaled by a causal volatility estimate.

Calibration residuals come from the calibration split, which the network never trained or
early-stopped on. A score is |y - yhat| (``absolute``) or |y - yhat| / s_t (``scaled``), where
s_t is an EWMA volatility known at t times sqrt(h): markets switch between calm and stormy
regimes, and a band of constant width covers too much in calm years and too little in storms.
The band's half-width is the ceil((n+1)(1-alpha))/n empirical quantile of the scores (times
s_t when scaled), which gives finite-sample coverage >= 1-alpha under exchangeability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_LEVELS = (0.8, 0.95)
EWMA_LAMBDA = 0.94  # RiskMetrics' daily decay
METHODS = ("scaled", "absolute")


def ewma_volatility(returns: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """Causal EWMA of squared log returns, square-rooted; NaN before the first return.

    Seeded with the first squared return, so the value at t depends on returns up to t only.
    """
    import pandas as pd

    r = np.asarray(returns, dtype=np.float64)
    out = np.full(r.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(r))
    if len(valid) == 0:
        return out
    start = valid[0]
    squared = pd.Series(np.nan_to_num(r[start:] * r[start:], nan=0.0))
    # adjust=False is the recursion v_t = lam v_{t-1} + (1 - lam) r_t^2 with v_0 = r_0^2
    variance = squared.ewm(alpha=1 - lam, adjust=False).mean().to_numpy()
    out[start:] = np.sqrt(variance)
    return out


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n+1) level)-th smallest score (inf when n is too small for the level)."""
    values = np.sort(np.asarray(scores, dtype=np.float64)[np.isfinite(scores)])
    n = len(values)
    rank = math.ceil((n + 1) * level)
    if n == 0 or rank > n:
        return math.inf
    return float(values[rank - 1])


@dataclass(frozen=True)
class ConformalCalibration:
    """Per level and horizon quantiles of the calibration scores."""

    method: str
    levels: tuple[float, ...]
    quantiles: dict[str, list[float]]  # str(level) -> one per horizon
    n_calibration: int

    @classmethod
    def fit(cls, y: np.ndarray, yhat: np.ndarray, scale: np.ndarray | None,
            levels: tuple[float, ...] = DEFAULT_LEVELS, method: str = "scaled"
            ) -> ConformalCalibration:
        if method not in METHODS:
            raise ValueError(f"conformal method must be one of {METHODS}, got {method!r}")
        for level in levels:
            if not 0 < level < 1:
                raise ValueError(f"interval level must be in (0, 1), got {level}")
        scores = _scores(y, yhat, scale if method == "scaled" else None)
        quantiles = {_key(level): [conformal_quantile(scores[:, h], level)
                                   for h in range(scores.shape[1])] for level in levels}
        return cls(method, tuple(levels), quantiles, int(len(y)))

    def half_width(self, level: float, scale: np.ndarray | None) -> np.ndarray:
        """(n, H) half-widths; ``scale`` is the (n,) volatility at each forecast origin."""
        q = np.asarray(self.quantiles[_key(level)])
        if self.method == "absolute" or scale is None:
            return np.broadcast_to(q, (1 if scale is None else len(scale), len(q))).copy()
        return _horizon_scale(scale, len(q)) * q

    def to_state(self) -> dict[str, Any]:
        return {"method": self.method, "levels": list(self.levels),
                "quantiles": self.quantiles, "n_calibration": self.n_calibration}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ConformalCalibration:
        return cls(str(state["method"]), tuple(float(x) for x in state["levels"]),
                   {str(k): [math.inf if x is None else float(x) for x in v]
                    for k, v in state["quantiles"].items()},
                   int(state["n_calibration"]))


def _key(level: float) -> str:
    return f"{level:g}"


def _horizon_scale(scale: np.ndarray, horizon: int) -> np.ndarray:
    return np.asarray(scale, dtype=np.float64)[:, None] * np.sqrt(np.arange(1, horizon + 1))


def _scores(y: np.ndarray, yhat: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    errors = np.abs(np.asarray(y, dtype=np.float64) - np.asarray(yhat, dtype=np.float64))
    if scale is None:
        return errors
    denominator = _horizon_scale(scale, errors.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, errors / denominator, np.inf)
