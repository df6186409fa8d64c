"""Risk analytics of one price series: volatility, risk-adjusted returns, drawdowns, tail risk.

Everything works on simple close-to-close returns r_t = close_t / close_{t-1} - 1 and is
annualised with ``ml.analytics.annualization.periods_per_year`` (P below). Definitions, stated once:

* annualised volatility = std(r, ddof=1) * sqrt(P)
* Sharpe = mean(r - rf_p) / std(r, ddof=1) * sqrt(P), with rf_p = (1 + rf)^(1/P) - 1 the
  per-bar equivalent of the annual risk-free rate rf
* Sortino = mean(r - rf_p) / sqrt(mean(min(r - rf_p, 0)^2)) * sqrt(P) (target rf_p, all bars
  in the denominator's mean)
* annualised return (CAGR) = (prod(1 + r))^(P / n) - 1 over n returns; Calmar = CAGR /
  |max drawdown| over the whole window
* VaR and CVaR are one-bar losses as positive fractions: VaR_a = -q_{1-a}(r); CVaR_a is the
  mean loss beyond it. Historical: empirical quantile (linear interpolation) and the mean of
  returns at or below it. Parametric: normal with the sample mean and std. Cornish-Fisher:
  the normal quantile corrected by sample skewness and excess kurtosis; its CVaR is the mean
  of the corrected quantiles over the tail, integrated in closed form.

Undefined ratios (zero variance, no downside, no drawdown) are None, never NaN or infinity.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ml.analytics.annualization import periods_per_year

logger = logging.getLogger(__name__)

MIN_RETURNS = 30
LEVELS = (0.95, 0.99)
METHODS = ("historical", "parametric", "cornish_fisher")
COARSE_INTERVALS = ("1d", "1wk")  # aligned with a benchmark on the UTC date, not the instant

ArrayLike: TypeAlias = pd.Series | np.ndarray | list[float]


# --- results --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drawdown:
    """The deepest fall from a running peak, with its dates.

    ``depth`` is a negative fraction (-0.5678 is -56.78%); 0.0 with no dates when the series
    never falls below an earlier peak. ``duration_*`` runs from the peak to the recovery (the
    first close back at or above the peak's), or to the last bar when ``recovered`` is False.
    """

    depth: float
    peak: pd.Timestamp | None
    trough: pd.Timestamp | None
    recovery: pd.Timestamp | None
    recovered: bool
    peak_to_trough_bars: int
    duration_bars: int
    duration_days: float

    def to_dict(self) -> dict[str, Any]:
        return {"depth": self.depth, "peak": _iso(self.peak), "trough": _iso(self.trough),
                "recovery": _iso(self.recovery), "recovered": self.recovered,
                "peak_to_trough_bars": self.peak_to_trough_bars,
                "duration_bars": self.duration_bars, "duration_days": self.duration_days}


@dataclass(frozen=True)
class TailRisk:
    """One-bar VaR and CVaR (positive loss fractions) at ``level`` by ``method``."""

    method: str
    level: float
    var: float
    cvar: float

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "level": self.level, "var": self.var, "cvar": self.cvar}


@dataclass(frozen=True)
class BenchmarkStats:
    """Beta and correlation of returns against a benchmark on their common timestamps."""

    beta: float | None
    correlation: float | None
    observations: int
    start: pd.Timestamp
    end: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        return {"beta": self.beta, "correlation": self.correlation,
                "observations": self.observations, "start": _iso(self.start),
                "end": _iso(self.end)}


@dataclass(frozen=True)
class RiskReport:
    """Every risk figure for one series; ``to_dict()`` is JSON-able (no NaN, ISO dates)."""

    asset_class: str
    interval: str
    periods_per_year: float
    start: pd.Timestamp
    end: pd.Timestamp
    bars: int
    returns: int
    risk_free_rate: float
    total_return: float
    annualized_return: float
    annualized_volatility: float
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    skewness: float | None
    excess_kurtosis: float | None
    max_drawdown: Drawdown
    tail: tuple[TailRisk, ...]
    benchmark: BenchmarkStats | None
    notes: tuple[str, ...]
    drawdown: pd.Series = field(repr=False, compare=False)

    def var(self, method: str, level: float) -> float | None:
        """VaR for ``method`` at ``level``, None when too few returns for it."""
        found = self._tail(method, level)
        return None if found is None else found.var

    def cvar(self, method: str, level: float) -> float | None:
        found = self._tail(method, level)
        return None if found is None else found.cvar

    def _tail(self, method: str, level: float) -> TailRisk | None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
        return next((t for t in self.tail if t.method == method and t.level == level), None)

    def to_dict(self, include_drawdown_series: bool = False) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "asset_class": self.asset_class, "interval": self.interval,
            "periods_per_year": self.periods_per_year, "start": _iso(self.start),
            "end": _iso(self.end), "bars": self.bars, "returns": self.returns,
            "risk_free_rate": self.risk_free_rate, "total_return": self.total_return,
            "annualized_return": self.annualized_return,
            "annualized_volatility": self.annualized_volatility, "sharpe": self.sharpe,
            "sortino": self.sortino, "calmar": self.calmar, "skewness": self.skewness,
            "excess_kurtosis": self.excess_kurtosis,
            "max_drawdown": self.max_drawdown.to_dict(),
            "tail": [t.to_dict() for t in self.tail],
            "benchmark": self.benchmark.to_dict() if self.benchmark else None,
            "notes": list(self.notes),
        }
        if include_drawdown_series:
            payload["drawdown"] = [[_iso(ts), float(v)] for ts, v in self.drawdown.items()]
        return payload


# --- inputs ---------------------------------------------------------------------------------

def close_prices(bars: pd.DataFrame | pd.Series, what: str = "bars") -> pd.Series:
    """The close as a float Series on a sorted, unique DatetimeIndex with positive values."""
    if isinstance(bars, pd.DataFrame):
        if "close" not in bars.columns:
            raise ValueError(f"{what} lack a 'close' column")
        close = bars["close"]
    elif isinstance(bars, pd.Series):
        close = bars
    else:
        raise ValueError(f"{what} must be a DataFrame with 'close' or a Series; got "
                         f"{type(bars).__name__}")
    if not isinstance(close.index, pd.DatetimeIndex):
        raise ValueError(f"{what} need a DatetimeIndex; got {type(close.index).__name__}")
    if not (close.index.is_monotonic_increasing and close.index.is_unique):
        raise ValueError(f"{what}' index must be strictly increasing (sorted, no duplicates)")
    close = close.astype(np.float64)
    values = close.to_numpy()
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise ValueError(f"{what} have a missing or non-positive close at "
                         f"{close.index[int(np.argmax(bad))]}")
    return close


def simple_returns(close: pd.Series) -> pd.Series:
    """close_t / close_{t-1} - 1, without the first (undefined) row."""
    values = close.to_numpy(dtype=np.float64)
    return pd.Series(values[1:] / values[:-1] - 1.0, index=close.index[1:], name="return")


def _returns(returns: ArrayLike, minimum: int, what: str) -> np.ndarray:
    values = np.asarray(returns, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"{what}: returns must be one-dimensional")
    if not np.isfinite(values).all():
        raise ValueError(f"{what}: returns contain NaN or infinity")
    if len(values) < minimum:
        raise ValueError(f"{what} needs at least {minimum} returns; got {len(values)}")
    return values


def _per_bar_rate(risk_free_rate: float, periods: float) -> float:
    if not (isinstance(risk_free_rate, int | float) and math.isfinite(risk_free_rate)
            and -1.0 < risk_free_rate < 1.0):
        raise ValueError(f"risk_free_rate is an annual fraction in (-1, 1), e.g. 0.04; got "
                         f"{risk_free_rate!r}")
    return (1.0 + risk_free_rate) ** (1.0 / periods) - 1.0


def _check_periods(periods: float) -> float:
    if not (isinstance(periods, int | float) and math.isfinite(periods) and periods > 0):
        raise ValueError(f"periods_per_year must be a positive number; got {periods!r}")
    return float(periods)


def _check_level(level: float) -> float:
    if not (isinstance(level, int | float) and 0.5 < level < 1.0):
        raise ValueError(f"confidence level must be in (0.5, 1), e.g. 0.95; got {level!r}")
    return float(level)


# --- volatility and ratios ------------------------------------------------------------------

def annualized_volatility(returns: ArrayLike, periods: float) -> float:
    """std(r, ddof=1) * sqrt(periods)."""
    values = _returns(returns, 2, "annualized volatility")
    return float(np.std(values, ddof=1) * math.sqrt(_check_periods(periods)))


def total_return(returns: ArrayLike) -> float:
    """Compounded return over the whole series."""
    values = _returns(returns, 1, "total return")
    return float(np.prod(1.0 + values) - 1.0)


def annualized_return(returns: ArrayLike, periods: float) -> float:
    """Compound annual growth rate, years counted as n returns / periods."""
    values = _returns(returns, 1, "annualized return")
    growth = float(np.prod(1.0 + values))
    return growth ** (_check_periods(periods) / len(values)) - 1.0


def sharpe_ratio(returns: ArrayLike, periods: float, risk_free_rate: float = 0.0) -> float | None:
    """Annualised Sharpe ratio; None when the returns do not vary."""
    values = _returns(returns, 2, "Sharpe ratio")
    periods = _check_periods(periods)
    excess = values - _per_bar_rate(risk_free_rate, periods)
    std = float(np.std(excess, ddof=1))
    if std == 0.0:
        return None
    return float(np.mean(excess) / std * math.sqrt(periods))


def sortino_ratio(returns: ArrayLike, periods: float,
                  risk_free_rate: float = 0.0) -> float | None:
    """Annualised Sortino ratio with target rf; None when no return falls below the target."""
    values = _returns(returns, 2, "Sortino ratio")
    periods = _check_periods(periods)
    excess = values - _per_bar_rate(risk_free_rate, periods)
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    if downside == 0.0:
        return None
    return float(np.mean(excess) / downside * math.sqrt(periods))


def calmar_ratio(close: pd.Series, periods: float) -> float | None:
    """CAGR / |max drawdown| over the whole series; None when there is no drawdown."""
    close = close_prices(close, "close")
    depth = max_drawdown(close).depth
    if depth == 0.0:
        return None
    return annualized_return(simple_returns(close), periods) / abs(depth)


def moments(returns: ArrayLike) -> tuple[float | None, float | None]:
    """Sample skewness and excess kurtosis, bias-corrected (pandas' and Excel's estimators)."""
    values = _returns(returns, 4, "skewness and kurtosis")
    n = len(values)
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0.0:
        return None, None
    m3 = float(np.mean(centred**3))
    m4 = float(np.mean(centred**4))
    g1 = m3 / m2**1.5
    g2 = m4 / m2**2 - 3.0
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    kurt = ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))
    return skew, kurt


# --- drawdowns ------------------------------------------------------------------------------

def drawdown_series(close: pd.Series) -> pd.Series:
    """close / running maximum - 1 at every bar (0 at new highs, negative below them)."""
    close = close_prices(close, "close")
    values = close.to_numpy()
    return pd.Series(values / np.maximum.accumulate(values) - 1.0, index=close.index,
                     name="drawdown")


def max_drawdown(close: pd.Series) -> Drawdown:
    """The deepest drawdown with its peak, trough and recovery dates (see ``Drawdown``)."""
    close = close_prices(close, "close")
    drawdowns = drawdown_series(close).to_numpy()
    trough = int(np.argmin(drawdowns))
    depth = float(drawdowns[trough])
    index = close.index
    if depth == 0.0:
        return Drawdown(0.0, None, None, None, True, 0, 0, 0.0)
    # The peak is the last bar at a running high before the trough.
    peak = int(np.flatnonzero(drawdowns[:trough] == 0.0)[-1])
    after = np.flatnonzero(drawdowns[trough:] == 0.0)
    recovered = len(after) > 0
    end = trough + int(after[0]) if recovered else len(drawdowns) - 1
    days = (index[end] - index[peak]) / pd.Timedelta(days=1)
    return Drawdown(depth=depth, peak=index[peak], trough=index[trough],
                    recovery=index[end] if recovered else None, recovered=recovered,
                    peak_to_trough_bars=trough - peak, duration_bars=end - peak,
                    duration_days=float(days))


# --- tail risk ------------------------------------------------------------------------------

def historical_min_returns(level: float) -> int:
    """Fewest returns for a historical estimate at ``level``: one whole return in the tail."""
    return max(2, math.ceil(round(1.0 / (1.0 - _check_level(level)), 9)))


def tail_risk(returns: ArrayLike, level: float = 0.95, method: str = "historical") -> TailRisk:
    """One-bar VaR and CVaR as positive loss fractions (see the module docstring)."""
    level = _check_level(level)
    if method == "historical":
        values = _returns(returns, historical_min_returns(level), f"historical VaR at {level}")
        quantile = float(np.quantile(values, 1.0 - level))
        tail_mean = float(values[values <= quantile].mean())
        return TailRisk(method, level, -quantile, -tail_mean)
    if method == "parametric":
        values = _returns(returns, 2, "parametric VaR")
        return _normal_tail(values, level, 0.0, 0.0, method)
    if method == "cornish_fisher":
        values = _returns(returns, 4, "Cornish-Fisher VaR")
        skew, kurt = moments(values)
        return _normal_tail(values, level, skew or 0.0, kurt or 0.0, method)
    raise ValueError(f"unknown VaR method {method!r}; expected one of {', '.join(METHODS)}")


def _normal_tail(values: np.ndarray, level: float, skew: float, kurt: float,
                 method: str) -> TailRisk:
    """VaR and CVaR from the Cornish-Fisher quantile (skew = kurt = 0: the normal one)."""
    mean, std = float(values.mean()), float(np.std(values, ddof=1))
    tail = 1.0 - level
    z = NormalDist().inv_cdf(tail)
    z_cf = (z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24
            - (2 * z**3 - 5 * z) * skew**2 / 36)
    # Partial moments I_k = integral of x^k phi(x) from -inf to z, so that the tail mean of
    # the corrected quantile is exact: E[z_cf(U) | U < tail] = (sum of terms) / tail.
    pdf = NormalDist().pdf(z)
    i0, i1, i2, i3 = tail, -pdf, tail - z * pdf, -(z**2 + 2) * pdf
    tail_z = (i1 + skew / 6 * (i2 - i0) + kurt / 24 * (i3 - 3 * i1)
              - skew**2 / 36 * (2 * i3 - 5 * i1)) / tail
    return TailRisk(method, level, -(mean + std * z_cf), -(mean + std * tail_z))


# --- benchmark ------------------------------------------------------------------------------

def benchmark_stats(close: pd.Series, benchmark_close: pd.Series, *, by_date: bool = False,
                    minimum: int = MIN_RETURNS) -> BenchmarkStats:
    """Beta = cov(r, r_b) / var(r_b) and Pearson correlation on common timestamps.

    Prices are aligned first (inner join), then returns are taken, so both returns of a pair
    span the same interval. ``by_date`` aligns on the UTC calendar date (daily and weekly
    bars whose providers stamp different times of day).
    """
    close = close_prices(close, "close")
    bench = close_prices(benchmark_close, "benchmark")
    if by_date:
        close, bench = _by_date(close), _by_date(bench)
    joined = pd.concat([close.rename("asset"), bench.rename("benchmark")], axis=1,
                       join="inner")
    if len(joined) - 1 < minimum:
        raise ValueError(f"beta and correlation need at least {minimum} common returns; the "
                         f"series share {max(len(joined) - 1, 0)} "
                         f"({len(joined)} common timestamps)")
    values = joined.to_numpy()
    rets = values[1:] / values[:-1] - 1.0
    cov = np.cov(rets[:, 0], rets[:, 1], ddof=1)
    var_a, var_b = float(cov[0, 0]), float(cov[1, 1])
    beta = float(cov[0, 1]) / var_b if var_b > 0 else None
    corr = float(cov[0, 1]) / math.sqrt(var_a * var_b) if var_a > 0 and var_b > 0 else None
    return BenchmarkStats(beta=beta, correlation=corr, observations=len(rets),
                          start=joined.index[0], end=joined.index[-1])


def _by_date(close: pd.Series) -> pd.Series:
    index = close.index.tz_convert("UTC") if close.index.tz is not None else close.index
    dated = pd.Series(close.to_numpy(), index=index.normalize())
    return dated[~dated.index.duplicated(keep="last")]


# --- the report -----------------------------------------------------------------------------

def risk_report(bars: pd.DataFrame, asset_class: str, interval: str,
                risk_free_rate: float = 0.0,
                benchmark: pd.DataFrame | pd.Series | None = None) -> RiskReport:
    """Every risk figure for ``bars`` (at least ``MIN_RETURNS`` + 1 bars).

    Historical VaR/CVaR at a level needs at least 1 / (1 - level) returns (100 at 99%);
    with fewer, that entry is left out and ``notes`` says why.
    """
    periods = periods_per_year(asset_class, interval)
    close = close_prices(bars)
    returns = simple_returns(close).to_numpy()
    if len(returns) < MIN_RETURNS:
        raise ValueError(f"risk report needs at least {MIN_RETURNS} returns "
                         f"({MIN_RETURNS + 1} bars); got {len(returns)} returns from "
                         f"{len(close)} bars")
    _per_bar_rate(risk_free_rate, periods)
    notes: list[str] = []
    drawdown = max_drawdown(close)
    skew, kurt = moments(returns)
    ratios = _ratios(returns, periods, risk_free_rate, drawdown, notes)
    bench = None
    if benchmark is not None:
        bench = benchmark_stats(close, close_prices(benchmark, "benchmark"),
                                by_date=interval in COARSE_INTERVALS)
    return RiskReport(
        asset_class=asset_class, interval=interval, periods_per_year=periods,
        start=close.index[0], end=close.index[-1], bars=len(close), returns=len(returns),
        risk_free_rate=float(risk_free_rate), total_return=total_return(returns),
        annualized_return=ratios["annualized_return"],
        annualized_volatility=annualized_volatility(returns, periods),
        sharpe=ratios["sharpe"], sortino=ratios["sortino"], calmar=ratios["calmar"],
        skewness=skew, excess_kurtosis=kurt, max_drawdown=drawdown,
        tail=_tail_table(returns, notes), benchmark=bench, notes=tuple(notes),
        drawdown=drawdown_series(close))


def _ratios(returns: np.ndarray, periods: float, risk_free_rate: float, drawdown: Drawdown,
            notes: list[str]) -> Mapping[str, Any]:
    cagr = annualized_return(returns, periods)
    sharpe = sharpe_ratio(returns, periods, risk_free_rate)
    sortino = sortino_ratio(returns, periods, risk_free_rate)
    calmar = cagr / abs(drawdown.depth) if drawdown.depth < 0 else None
    if sharpe is None:
        notes.append("Sharpe ratio undefined: the returns do not vary")
    if sortino is None:
        notes.append("Sortino ratio undefined: no return fell below the risk-free rate")
    if calmar is None:
        notes.append("Calmar ratio undefined: the price never fell below an earlier peak")
    return {"annualized_return": cagr, "sharpe": sharpe, "sortino": sortino, "calmar": calmar}


def cornish_fisher_is_monotonic(skew: float, kurt: float) -> bool:
    """Whether the Cornish-Fisher quantile rises with the probability everywhere.

    Its derivative in z is (K/8 - S^2/6) z^2 + (S/3) z + (1 - K/8 + 5 S^2/36); outside the
    region where that stays non-negative (roughly excess kurtosis above 6-8, Maillard 2012)
    the expansion is no longer a distribution and its VaR should not be trusted.
    """
    a = kurt / 8 - skew**2 / 6
    b = skew / 3
    c = 1 - kurt / 8 + 5 * skew**2 / 36
    return a >= 0 and c >= 0 and b * b - 4 * a * c <= 0


def _tail_table(returns: np.ndarray, notes: list[str]) -> tuple[TailRisk, ...]:
    skew, kurt = moments(returns)
    if skew is not None and kurt is not None and not cornish_fisher_is_monotonic(skew, kurt):
        notes.append(f"Cornish-Fisher VaR/CVaR are outside the expansion's validity domain "
                     f"(skewness {skew:.2f}, excess kurtosis {kurt:.2f}): prefer the "
                     "historical figures")
    table = []
    for method in METHODS:
        for level in LEVELS:
            if method == "historical" and len(returns) < historical_min_returns(level):
                notes.append(f"historical VaR/CVaR at {level:.0%} left out: it needs at least "
                             f"{historical_min_returns(level)} returns, got {len(returns)}")
                continue
            table.append(tail_risk(returns, level, method))
    return tuple(table)


def _iso(value: pd.Timestamp | None) -> str | None:
    return None if value is None else value.isoformat()
