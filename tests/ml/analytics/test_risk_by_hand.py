"""Risk metrics on series small enough to work out by hand (arithmetic in comments)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from ml.analytics import risk
from ml.analytics.risk import (
    MIN_RETURNS,
    annualized_return,
    annualized_volatility,
    benchmark_stats,
    calmar_ratio,
    drawdown_series,
    max_drawdown,
    risk_report,
    sharpe_ratio,
    sortino_ratio,
    tail_risk,
    total_return,
)
from tests.conftest import make_ohlcv

# Ten returns: sum 0.02 -> mean 0.002; squared deviations from the mean:
# .000064 .000484 .000784 .000144 .000004 .000324 .001024 .000064 .000324 .000144 = .00336
R10 = [0.01, -0.02, 0.03, -0.01, 0.00, 0.02, -0.03, 0.01, 0.02, -0.01]
STD10 = math.sqrt(0.00336 / 9)  # sample std, ddof=1: 0.019321835...
TOL = 1e-12


def prices(values: list[float], start: str = "2024-01-01", freq: str = "1D") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC", name="timestamp")
    return pd.Series(values, index=index, dtype=float, name="close")


def test_volatility_sharpe_sortino() -> None:
    assert annualized_volatility(R10, 252) == pytest.approx(STD10 * math.sqrt(252), abs=TOL)
    assert sharpe_ratio(R10, 252) == pytest.approx(0.002 / STD10 * math.sqrt(252), abs=TOL)
    # one period a year: the per-bar risk-free rate is the annual one, 0.001
    assert sharpe_ratio(R10, 1, risk_free_rate=0.001) == pytest.approx(0.001 / STD10, abs=TOL)
    # downside: -0.02, -0.01, -0.03, -0.01 -> squares .0004+.0001+.0009+.0001 = .0015 over
    # all 10 bars -> sqrt(.00015)
    assert sortino_ratio(R10, 252) == pytest.approx(0.002 / math.sqrt(0.00015) * math.sqrt(252),
                                                    abs=TOL)
    # with target 0.001: shortfalls .021 .011 .001 .031 .011 -> squares
    # .000441 + .000121 + .000001 + .000961 + .000121 = .001645 over 10 bars
    assert sortino_ratio(R10, 1, risk_free_rate=0.001) == pytest.approx(
        0.001 / math.sqrt(0.0001645), abs=TOL)


def test_per_bar_risk_free_rate_compounds() -> None:
    # 252 bars a year at 4% a year: (1.04)^(1/252) - 1 per bar
    per_bar = 1.04 ** (1 / 252) - 1
    expected = (0.002 - per_bar) / STD10 * math.sqrt(252)
    assert sharpe_ratio(R10, 252, risk_free_rate=0.04) == pytest.approx(expected, abs=TOL)


def test_undefined_ratios_are_none() -> None:
    assert sharpe_ratio([0.01, 0.01, 0.01], 252) is None
    assert sortino_ratio([0.01, 0.02, 0.0], 252) is None  # nothing below the 0 target


def test_returns_and_calmar() -> None:
    close = prices([100, 110, 99, 105, 120, 90, 95, 130])
    returns = risk.simple_returns(close)
    assert total_return(returns) == pytest.approx(0.3, abs=TOL)  # 130 / 100 - 1
    assert annualized_return(returns, 7) == pytest.approx(0.3, abs=TOL)  # 7 returns = 1 year
    assert annualized_return(returns, 14) == pytest.approx(1.3**2 - 1, abs=TOL)  # half a year
    # max drawdown 120 -> 90 = -25%: Calmar = 0.3 / 0.25
    assert calmar_ratio(close, 7) == pytest.approx(1.2, abs=TOL)
    assert calmar_ratio(prices([1, 2, 3]), 252) is None


def test_drawdown_series_and_recovered_max_drawdown() -> None:
    close = prices([100, 110, 99, 105, 120, 90, 95, 130])
    # running max 100 110 110 110 120 120 120 130
    expected = [0, 0, 99 / 110 - 1, 105 / 110 - 1, 0, -0.25, 95 / 120 - 1, 0]
    np.testing.assert_allclose(drawdown_series(close).to_numpy(), expected, atol=TOL)
    dd = max_drawdown(close)
    assert dd.depth == pytest.approx(-0.25, abs=TOL)
    assert (dd.peak, dd.trough, dd.recovery) == (close.index[4], close.index[5], close.index[7])
    assert dd.recovered
    assert (dd.peak_to_trough_bars, dd.duration_bars, dd.duration_days) == (1, 3, 3.0)


def test_unrecovered_and_absent_drawdown() -> None:
    close = prices([100, 120, 90, 100, 110], freq="1h")
    dd = max_drawdown(close)
    assert dd.depth == pytest.approx(-0.25, abs=TOL)
    assert dd.peak == close.index[1] and dd.trough == close.index[2]
    assert dd.recovery is None and not dd.recovered
    assert dd.duration_bars == 3 and dd.duration_days == pytest.approx(3 / 24)
    flat = max_drawdown(prices([1, 1, 2, 3]))
    assert flat.depth == 0.0 and flat.peak is None and flat.duration_bars == 0


def test_equal_highs_start_the_drawdown_at_the_latest_peak() -> None:
    # 120 is reached twice; the drawdown to 60 starts at the second one
    dd = max_drawdown(prices([100, 120, 110, 120, 60, 121]))
    assert dd.depth == pytest.approx(-0.5)
    assert dd.peak_to_trough_bars == 1 and dd.duration_bars == 2


def test_historical_var_and_cvar() -> None:
    # sorted: -.03 -.02 -.01 -.01 0 .01 .01 .02 .02 .03; the 10% quantile sits at position
    # 0.9 (linear interpolation): -.03 + 0.9*.01 = -.021. Tail at or below it: -.03 only.
    result = tail_risk(R10, 0.90, "historical")
    assert result.var == pytest.approx(0.021, abs=TOL)
    assert result.cvar == pytest.approx(0.03, abs=TOL)
    with pytest.raises(ValueError, match=r"historical VaR at 0.95 needs at least 20 returns"):
        tail_risk(R10, 0.95, "historical")


def test_parametric_var_and_cvar() -> None:
    # z(5%) = -1.6448536269514722, phi(z) = 0.10313564037537128
    z, pdf = -1.6448536269514722, 0.10313564037537128
    result = tail_risk(R10, 0.95, "parametric")
    assert result.var == pytest.approx(-(0.002 + STD10 * z), abs=TOL)
    assert result.cvar == pytest.approx(-(0.002 - STD10 * pdf / 0.05), abs=TOL)


def test_cornish_fisher_var_by_formula() -> None:
    skew, kurt = risk.moments(R10)
    # R10 is symmetric about its mean's neighbourhood only roughly; use its own S and K
    centred = np.array(R10) - 0.002
    m2 = np.mean(centred**2)
    g1 = np.mean(centred**3) / m2**1.5
    g2 = np.mean(centred**4) / m2**2 - 3
    assert skew == pytest.approx(g1 * math.sqrt(10 * 9) / 8, abs=TOL)
    assert kurt == pytest.approx(((11 * g2 + 6) * 9) / (8 * 7), abs=TOL)
    z = -1.6448536269514722
    z_cf = (z + (z * z - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24
            - (2 * z**3 - 5 * z) * skew**2 / 36)
    assert tail_risk(R10, 0.95, "cornish_fisher").var == pytest.approx(-(0.002 + STD10 * z_cf),
                                                                       abs=TOL)


def test_cornish_fisher_reduces_to_normal_without_skew_or_kurtosis() -> None:
    # a sample with zero skewness and zero excess kurtosis is hard to build by hand, so
    # check the shared formula directly with S = K = 0
    values = np.array(R10)
    normal = risk._normal_tail(values, 0.99, 0.0, 0.0, "x")
    parametric = tail_risk(R10, 0.99, "parametric")
    assert (normal.var, normal.cvar) == pytest.approx((parametric.var, parametric.cvar), abs=TOL)


def test_cornish_fisher_validity_domain() -> None:
    assert risk.cornish_fisher_is_monotonic(0.0, 0.0)
    assert risk.cornish_fisher_is_monotonic(-0.5, 3.0)
    assert not risk.cornish_fisher_is_monotonic(0.0, 8.5)  # 1 - K/8 < 0 at z = 0


def test_beta_and_correlation_by_hand() -> None:
    # benchmark returns .01 -.01 .02 0 and asset returns .02 0 .01 -.01: both mean .005,
    # deviations b: .005 -.015 .015 -.005, a: .015 -.005 .005 -.015; sum of products .0003,
    # sum of squares .0005 each -> beta = .0003/.0005 = 0.6, correlation 0.6
    bench = prices(list(100 * np.cumprod([1, 1.01, 0.99, 1.02, 1.0])))
    asset = prices(list(50 * np.cumprod([1, 1.02, 1.0, 1.01, 0.99])))
    stats = benchmark_stats(asset, bench, minimum=4)
    assert stats.beta == pytest.approx(0.6, abs=1e-12)
    assert stats.correlation == pytest.approx(0.6, abs=1e-12)
    assert stats.observations == 4


def test_benchmark_alignment_on_common_timestamps() -> None:
    rng = np.random.default_rng(1)
    bench_returns = rng.normal(0, 0.01, 60)
    bench = prices(list(100 * np.cumprod(1 + bench_returns)))
    asset = pd.Series(100 * np.cumprod(1 + 2 * bench_returns), index=bench.index)
    # the asset misses every fifth bar: prices are joined first, so a pair of returns across
    # a gap spans the same two bars on both sides; compounding over two bars makes beta only
    # close to 2 (exactly 2 on the unbroken pairs)
    gappy = asset.drop(asset.index[::5])
    stats = benchmark_stats(gappy, bench, minimum=30)
    assert stats.observations == len(gappy) - 1
    assert stats.beta == pytest.approx(2.0, rel=0.05)
    # daily bars stamped at different hours meet on the UTC date only with by_date
    shifted = pd.Series(asset.to_numpy(), index=asset.index + pd.Timedelta(hours=5))
    with pytest.raises(ValueError, match="share 0"):
        benchmark_stats(shifted, bench)
    same_day = benchmark_stats(shifted, bench, by_date=True)
    assert same_day.beta == pytest.approx(2.0, abs=1e-9)
    assert same_day.correlation == pytest.approx(1.0, abs=1e-9)


def test_report_minimum_and_validation() -> None:
    bars = make_ohlcv(MIN_RETURNS)  # 30 bars = 29 returns
    with pytest.raises(ValueError, match=r"needs at least 30 returns \(31 bars\); got 29 "
                                         r"returns from 30 bars"):
        risk_report(bars, "stock", "1d")
    good = make_ohlcv(MIN_RETURNS + 1)
    assert risk_report(good, "stock", "1d").returns == 30
    with pytest.raises(ValueError, match="unknown asset class 'bond'"):
        risk_report(good, "bond", "1d")
    with pytest.raises(ValueError, match=r"risk_free_rate is an annual fraction"):
        risk_report(good, "stock", "1d", risk_free_rate=4.0)
    broken = good.copy()
    broken.iloc[3, broken.columns.get_loc("close")] = 0.0
    with pytest.raises(ValueError, match="non-positive close at 2020-01-04"):
        risk_report(broken, "stock", "1d")
    with pytest.raises(ValueError, match="strictly increasing"):
        risk_report(good.iloc[::-1], "stock", "1d")
    with pytest.raises(ValueError, match="lack a 'close' column"):
        risk_report(good.drop(columns="close"), "stock", "1d")
    with pytest.raises(ValueError, match=r"confidence level must be in \(0.5, 1\)"):
        tail_risk(R10, 95, "parametric")
    with pytest.raises(ValueError, match="unknown VaR method 'monte_carlo'"):
        tail_risk(R10, 0.95, "monte_carlo")


def test_report_leaves_out_historical_99_below_100_returns() -> None:
    report = risk_report(make_ohlcv(60), "crypto", "1d")
    assert report.var("historical", 0.99) is None
    assert report.var("historical", 0.95) is not None
    assert report.var("cornish_fisher", 0.99) is not None
    assert any("at 99% left out: it needs at least 100 returns, got 59" in n
               for n in report.notes)


def test_report_on_flat_prices_says_what_is_undefined() -> None:
    index = pd.date_range("2024-01-01", periods=40, freq="1D", tz="UTC")
    flat = pd.DataFrame({"close": np.full(40, 10.0)}, index=index)
    report = risk_report(flat, "forex", "1d")
    assert report.sharpe is None and report.sortino is None and report.calmar is None
    assert report.skewness is None and report.max_drawdown.depth == 0.0
    assert [n.split(" ")[0] for n in report.notes[:3]] == ["Sharpe", "Sortino", "Calmar"]
    json.dumps(report.to_dict(), allow_nan=False)


def test_report_to_dict_is_json(ohlcv: pd.DataFrame) -> None:
    bench = make_ohlcv(500, seed=99)
    report = risk_report(ohlcv, "stock", "1d", risk_free_rate=0.03, benchmark=bench)
    payload = json.loads(json.dumps(report.to_dict(include_drawdown_series=True),
                                    allow_nan=False))
    assert payload["periods_per_year"] == 252
    assert payload["max_drawdown"]["peak"].startswith("20")
    assert len(payload["tail"]) == 6
    assert {(t["method"], t["level"]) for t in payload["tail"]} == {
        (m, lv) for m in risk.METHODS for lv in risk.LEVELS}
    assert payload["benchmark"]["observations"] == 499
    assert len(payload["drawdown"]) == 500
    assert report.var("parametric", 0.95) == payload["tail"][2]["var"]
    with pytest.raises(ValueError, match="unknown method"):
        report.var("montecarlo", 0.95)
