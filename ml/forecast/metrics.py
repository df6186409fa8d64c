"""Forecast accuracy statistics: point errors, Theil's U, Diebold-Mariano, Wilson, coverage.

All functions take out-of-sample arrays only; nothing here knows about models.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (NaNs when there are no trials)."""
    if trials <= 0:
        return math.nan, math.nan
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def diebold_mariano(errors_model: np.ndarray, errors_reference: np.ndarray, horizon: int
                    ) -> dict[str, float]:
    """DM test on squared errors (see :func:`diebold_mariano_losses`)."""
    return diebold_mariano_losses(np.asarray(errors_model, dtype=np.float64) ** 2,
                                  np.asarray(errors_reference, dtype=np.float64) ** 2, horizon)


def diebold_mariano_losses(loss_model: np.ndarray, loss_reference: np.ndarray, horizon: int
                           ) -> dict[str, float]:
    """DM test with the Harvey-Leybourne-Newbold small-sample correction.

    d_t = loss_model - loss_ref; the long-run variance uses autocovariances up to lag h-1
    (h-step forecasts overlap). Negative statistic: the model has smaller losses.
    ``p_value`` is two-sided; ``p_better`` is one-sided for "model better than reference".
    """
    d = np.asarray(loss_model, dtype=np.float64) - np.asarray(loss_reference, dtype=np.float64)
    n = len(d)
    if n < 3:
        return {"statistic": math.nan, "p_value": math.nan, "p_better": math.nan, "n": n}
    centred = d - d.mean()
    variance = centred @ centred / n
    for lag in range(1, min(horizon, n - 1)):
        variance += 2 * (centred[lag:] @ centred[:-lag]) / n
    if variance <= 0:  # HAC estimate can go negative; fall back to the lag-0 variance
        variance = centred @ centred / n
    if variance <= 0:
        return {"statistic": 0.0, "p_value": 1.0, "p_better": 0.5, "n": n}
    statistic = d.mean() / math.sqrt(variance / n)
    correction = math.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 1e-12) / n)
    statistic *= correction
    p_value = 2 * float(stats.t.sf(abs(statistic), df=n - 1))
    p_better = float(stats.t.cdf(statistic, df=n - 1))
    return {"statistic": float(statistic), "p_value": p_value, "p_better": p_better, "n": n}


def directional_accuracy(y: np.ndarray, yhat: np.ndarray) -> dict[str, Any]:
    """Share of bars where the forecast's sign matches the outcome's (zeros excluded)."""
    y = np.asarray(y)
    yhat = np.asarray(yhat)
    mask = (y != 0) & (yhat != 0)
    trials = int(mask.sum())
    if trials == 0:
        return {"accuracy": None, "ci_low": None, "ci_high": None, "n": 0}
    hits = int((np.sign(y[mask]) == np.sign(yhat[mask])).sum())
    low, high = wilson_interval(hits, trials)
    return {"accuracy": hits / trials, "ci_low": low, "ci_high": high, "n": trials}


def point_metrics(y: np.ndarray, yhat: np.ndarray, close: np.ndarray, horizon: int
                  ) -> dict[str, Any]:
    """Errors of one horizon's forecasts: prices for MAE/RMSE/MAPE, log returns for the rest.

    ``y``/``yhat`` are h-bar log returns from origin closes ``close``; the random walk
    (zero return) is the reference for Theil's U and the Diebold-Mariano test.
    """
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    price_true = close * np.exp(y)
    price_pred = close * np.exp(yhat)
    price_error = price_pred - price_true
    error = yhat - y
    sse = float(error @ error)
    sst = float(((y - y.mean()) ** 2).sum())
    rw_sse = float(y @ y)
    dm = diebold_mariano(error, y, horizon)
    return {
        "n": int(len(y)),
        "mae": float(np.mean(np.abs(price_error))),
        "rmse": float(math.sqrt(np.mean(price_error ** 2))),
        "mape": float(np.mean(np.abs(price_error / price_true)) * 100),
        "return_rmse": float(math.sqrt(sse / len(y))),
        "r2": 1 - sse / sst if sst > 0 else None,
        "theil_u": math.sqrt(sse / rw_sse) if rw_sse > 0 else None,
        "dm_statistic": dm["statistic"],
        "dm_p_value": dm["p_value"],
        "dm_p_better": dm["p_better"],
        "directional": directional_accuracy(y, yhat),
    }


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> dict[str, float]:
    """Share of outcomes inside [lower, upper] and the band's mean width."""
    y = np.asarray(y)
    inside = (y >= lower) & (y <= upper)
    return {"coverage": float(inside.mean()), "mean_width": float(np.mean(upper - lower)),
            "n": int(len(y))}


def qlike(realised_variance: np.ndarray, forecast_variance: np.ndarray) -> float:
    """Patton's QLIKE loss, robust to noise in the realised variance proxy (0 is perfect)."""
    ratio = np.asarray(realised_variance) / np.asarray(forecast_variance)
    return float(np.mean(ratio - np.log(ratio) - 1))


def holm_reject(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down test: which hypotheses to reject with family-wise error <= alpha.

    Testing every horizon and calling the model skilled when any one passes would find
    "skill" by chance; the overall verdict uses this instead.
    """
    order = sorted(range(len(p_values)),
                   key=lambda i: p_values[i] if math.isfinite(p_values[i]) else math.inf)
    reject = [False] * len(p_values)
    for rank, index in enumerate(order):
        p = p_values[index]
        if not math.isfinite(p) or p > alpha / (len(p_values) - rank):
            break
        reject[index] = True
    return reject


def skill_label(theil_u: float | None, dm_p_better: float, alpha: float = 0.05) -> str:
    """"skill" only when U < 1 and the DM test says the model beats the random walk."""
    if theil_u is not None and theil_u < 1 and math.isfinite(dm_p_better) and (
            dm_p_better < alpha):
        return "skill"
    return "no skill"
