"""The GARCH(1,1) benchmark for the volatility target, from the ``arch`` package.

Parameters are estimated on the training rows only; forecasts for later origins filter the
data up to each origin with those fixed parameters, so every forecast uses the past only.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

logger = logging.getLogger(__name__)

PERCENT = 100.0  # arch's optimiser is happier with returns in percent


def garch_variance_forecasts(returns: np.ndarray, train_last_row: int, origins: np.ndarray,
                             horizon: int) -> np.ndarray:
    """(len(origins), H) cumulative variance of the next h log returns, h = 1..H.

    ``returns`` are one-bar log returns indexed by bar (NaN at bar 0); the model is fit on
    returns up to ``train_last_row``.
    """
    from arch import arch_model

    series = np.asarray(returns, dtype=np.float64)[1:] * PERCENT  # position p -> bar p+1
    model = arch_model(series, mean="Constant", vol="GARCH", p=1, q=1, dist="normal",
                       rescale=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model.fit(last_obs=train_last_row, disp="off", show_warning=False)
    first = int(np.min(origins)) - 1
    forecast = fitted.forecast(horizon=horizon, start=first, reindex=False)
    per_step = forecast.variance.to_numpy() / PERCENT**2  # rows: origins first.. (as positions)
    cumulative = np.cumsum(per_step, axis=1)
    return cumulative[np.asarray(origins) - 1 - first]


def ewma_variance_forecasts(volatility: np.ndarray, origins: np.ndarray, horizon: int
                            ) -> np.ndarray:
    """RiskMetrics: today's EWMA variance times h (a random walk in variance)."""
    v = np.asarray(volatility)[np.asarray(origins)] ** 2
    return v[:, None] * np.arange(1, horizon + 1)
