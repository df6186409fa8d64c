"""Risk metrics on real sample data, against known figures and independent reference formulas.

References are written here with pandas/NumPy/SciPy (a loop for the drawdown, ``np.polyfit``
for beta, ``scipy.stats`` for the normal and the moments, ``scipy.integrate.quad`` for the
Cornish-Fisher tail mean). Tolerance 1e-9 relative unless stated.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from ml.analytics.risk import (
    max_drawdown,
    moments,
    risk_report,
    tail_risk,
)


def loop_max_drawdown(close: pd.Series) -> tuple[float, pd.Timestamp, pd.Timestamp]:
    peak_value, peak_at = -math.inf, None
    worst, worst_peak, worst_trough = 0.0, None, None
    for at, value in close.items():
        if value >= peak_value:
            peak_value, peak_at = value, at
        depth = value / peak_value - 1
        if depth < worst:
            worst, worst_peak, worst_trough = depth, peak_at, at
    return worst, worst_peak, worst_trough


def test_sp500_2007_2009_max_drawdown_is_the_known_figure(sp500: pd.DataFrame) -> None:
    crisis = max_drawdown(sp500["close"].loc["2007":"2009"])
    assert round(crisis.depth * 100, 2) == -56.78
    assert crisis.peak == pd.Timestamp("2007-10-09", tz="UTC")
    assert crisis.trough == pd.Timestamp("2009-03-09", tz="UTC")
    assert not crisis.recovered  # not back at 1565.15 by the end of 2009
    whole = max_drawdown(sp500["close"])
    assert whole.depth == crisis.depth
    assert whole.recovery == pd.Timestamp("2013-03-28", tz="UTC")  # first close above it
    before = sp500["close"].loc[whole.peak:whole.recovery].iloc[1:-1]
    assert before.max() < sp500["close"].loc[whole.peak] <= sp500["close"].loc[whole.recovery]
    depth, peak, trough = loop_max_drawdown(sp500["close"])
    assert whole.depth == pytest.approx(depth, rel=1e-12)
    assert (whole.peak, whole.trough) == (peak, trough)


@pytest.mark.parametrize("dataset", ["sp500", "goog", "eurusd"])
def test_report_matches_reference_formulas(dataset: str,
                                           request: pytest.FixtureRequest) -> None:
    bars = request.getfixturevalue(dataset)
    asset_class, interval, periods = {"sp500": ("index", "1d", 252),
                                      "goog": ("stock", "1d", 252),
                                      "eurusd": ("forex", "1h", 260 * 24)}[dataset]
    report = risk_report(bars, asset_class, interval, risk_free_rate=0.02)
    r = bars["close"].pct_change().dropna()
    rf = 1.02 ** (1 / periods) - 1
    excess = r - rf
    assert report.periods_per_year == periods
    assert report.annualized_volatility == pytest.approx(r.std() * math.sqrt(periods), rel=1e-9)
    assert report.sharpe == pytest.approx(excess.mean() / r.std() * math.sqrt(periods),
                                          rel=1e-9)
    downside = np.sqrt((excess.clip(upper=0) ** 2).mean())
    assert report.sortino == pytest.approx(excess.mean() / downside * math.sqrt(periods),
                                           rel=1e-9)
    growth = bars["close"].iloc[-1] / bars["close"].iloc[0]
    assert report.total_return == pytest.approx(growth - 1, rel=1e-9)
    assert report.annualized_return == pytest.approx(growth ** (periods / len(r)) - 1, rel=1e-9)
    depth, _, _ = loop_max_drawdown(bars["close"])
    assert report.calmar == pytest.approx(report.annualized_return / abs(depth), rel=1e-9)
    assert report.skewness == pytest.approx(stats.skew(r, bias=False), rel=1e-9)
    assert report.excess_kurtosis == pytest.approx(stats.kurtosis(r, bias=False), rel=1e-9)
    assert (report.skewness, report.excess_kurtosis) == pytest.approx((r.skew(), r.kurt()))
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_tail_risk_against_references(sp500: pd.DataFrame, level: float) -> None:
    r = sp500["close"].pct_change().dropna().to_numpy()
    mu, sigma = r.mean(), r.std(ddof=1)
    historical = tail_risk(r, level, "historical")
    q = np.percentile(r, 100 * (1 - level))
    assert historical.var == pytest.approx(-q, rel=1e-12)
    assert historical.cvar == pytest.approx(-r[r <= q].mean(), rel=1e-12)
    parametric = tail_risk(r, level, "parametric")
    assert parametric.var == pytest.approx(-stats.norm.ppf(1 - level, mu, sigma), rel=1e-9)
    # normal expected shortfall: mean of the quantile function over the tail
    tail_mean = integrate.quad(lambda p: stats.norm.ppf(p, mu, sigma), 0, 1 - level)[0]
    assert parametric.cvar == pytest.approx(-tail_mean / (1 - level), rel=1e-6)
    skew, kurt = stats.skew(r, bias=False), stats.kurtosis(r, bias=False)

    def cf_quantile(p: float) -> float:
        z = stats.norm.ppf(p)
        return mu + sigma * (z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24
                             - (2 * z**3 - 5 * z) * skew**2 / 36)

    cornish_fisher = tail_risk(r, level, "cornish_fisher")
    assert cornish_fisher.var == pytest.approx(-cf_quantile(1 - level), rel=1e-9)
    cf_tail = integrate.quad(cf_quantile, 0, 1 - level, limit=200)[0]
    assert cornish_fisher.cvar == pytest.approx(-cf_tail / (1 - level), rel=1e-6)
    # the S&P's fat tails: historical 99% VaR exceeds the normal one
    if level == 0.99:
        assert historical.var > parametric.var


def test_moments_match_scipy_on_goog(goog: pd.DataFrame) -> None:
    r = goog["close"].pct_change().dropna()
    skew, kurt = moments(r)
    assert skew == pytest.approx(stats.skew(r, bias=False), rel=1e-9)
    assert kurt == pytest.approx(stats.kurtosis(r, bias=False), rel=1e-9)


def test_beta_of_goog_against_the_sp500(goog: pd.DataFrame, sp500: pd.DataFrame) -> None:
    report = risk_report(goog, "stock", "1d", benchmark=sp500)
    joined = pd.concat([goog["close"], sp500["close"]], axis=1, join="inner").pct_change()
    joined = joined.dropna()
    slope = np.polyfit(joined.iloc[:, 1], joined.iloc[:, 0], 1)[0]  # OLS: beta
    assert report.benchmark is not None
    assert report.benchmark.observations == len(joined)
    assert report.benchmark.beta == pytest.approx(slope, rel=1e-9)
    assert report.benchmark.correlation == pytest.approx(joined.corr().iloc[0, 1], rel=1e-9)
    assert report.benchmark.start == goog.index[0]


def test_forex_4h_from_hourly(eurusd: pd.DataFrame) -> None:
    four_hour = eurusd.resample("4h").agg({"open": "first", "high": "max", "low": "min",
                                           "close": "last", "volume": "sum"}).dropna()
    report = risk_report(four_hour, "forex", "4h")
    assert report.periods_per_year == 260 * 6
    assert report.bars == len(four_hour)
    assert 0.01 < report.annualized_volatility < 0.2  # EUR/USD: single-digit % a year


def read_cryptodatadownload(path: Path) -> pd.DataFrame:
    """The real BTC daily CSV: banner line, newest first; only what the test needs."""
    raw = pd.read_csv(path, skiprows=1)
    index = pd.DatetimeIndex(pd.to_datetime(raw["date"]), name="timestamp").tz_localize("UTC")
    bars = pd.DataFrame({"close": raw["close"].to_numpy(dtype=float)}, index=index)
    return bars.sort_index()


def test_crypto_daily_from_the_real_csv(shared_data_dir: Path) -> None:
    bars = read_cryptodatadownload(shared_data_dir / "Coinbase_BTCUSD_d.csv")
    report = risk_report(bars, "crypto", "1d")
    assert report.periods_per_year == 365
    assert report.max_drawdown.depth < -0.8  # the 2017-2018 crash: BTC fell over 80%
    assert report.max_drawdown.peak.year == 2017
    assert report.annualized_volatility > 0.5
