"""Targets, splits, scaler, conformal quantiles and accuracy statistics (no Keras needed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ml.forecast.datasets import (
    SplitPlan,
    make_windows,
    return_targets,
    variance_targets,
    window_ends,
)
from ml.forecast.metrics import (
    coverage,
    diebold_mariano,
    directional_accuracy,
    point_metrics,
    qlike,
    skill_label,
    wilson_interval,
)
from ml.forecast.models.conformal import ConformalCalibration, conformal_quantile, ewma_volatility
from ml.forecast.models.scaler import StandardScaler


def test_return_targets_are_log_returns_over_the_next_h_bars() -> None:
    close = np.array([100.0, 110.0, 99.0, 120.0])
    targets = return_targets(close, 2)
    assert targets[0, 0] == pytest.approx(math.log(1.1))
    assert targets[0, 1] == pytest.approx(math.log(0.99))
    assert targets[2, 0] == pytest.approx(math.log(120 / 99))
    assert np.isnan(targets[2, 1]) and np.isnan(targets[3]).all()


def test_variance_targets_sum_the_next_squared_returns() -> None:
    close = np.exp(np.array([0.0, 0.1, 0.0, 0.2]))
    targets = variance_targets(close, 2)
    assert np.exp(targets[0, 1]) == pytest.approx(0.1**2 + 0.1**2)
    assert np.exp(targets[1, 0]) == pytest.approx(0.01)


def test_windows_skip_warm_up_rows_and_end_at_the_sample() -> None:
    features = np.arange(20, dtype=float).reshape(10, 2)
    features[2, 1] = np.nan
    ends = window_ends(features, 3)
    assert ends.tolist() == [5, 6, 7, 8, 9]
    windows = make_windows(features, ends[:1], 3)
    np.testing.assert_array_equal(windows[0], features[3:6])


def test_split_plan_is_chronological_and_purged() -> None:
    plan = SplitPlan.from_fractions(1000)
    splits = plan.indices(horizon=5)
    assert splits["train"][0] == 0
    assert splits["validation"][0] == plan.train_end
    assert plan.train_end - splits["train"][-1] - 1 == 5  # purged gap before validation
    assert splits["test"][-1] == 999
    order = [splits[name] for name in ("train", "validation", "calibration", "test")]
    for earlier, later in zip(order, order[1:], strict=False):
        assert earlier[-1] < later[0]
    with pytest.raises(ValueError, match="increasing"):
        SplitPlan(10, 5, 20, 30).indices(1)


def test_scaler_state_is_plain_json_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 2.0, size=(500, 3))
    values[:, 2] = 4.0  # constant column -> scale 1, no division by zero
    scaler = StandardScaler.fit(values)
    state = json.loads(json.dumps(scaler.to_state()))
    again = StandardScaler.from_state(state)
    np.testing.assert_array_equal(again.transform(values), scaler.transform(values))
    assert abs(scaler.transform(values)[:, 0].mean()) < 1e-12
    assert scaler.scale[2] == 1.0
    np.testing.assert_allclose(scaler.inverse(scaler.transform(values[:, :])), values)
    with pytest.raises(ValueError, match="at least 2 rows"):
        StandardScaler.fit(values[:1])


def test_conformal_quantile_uses_the_finite_sample_rank() -> None:
    scores = np.arange(1, 11, dtype=float)  # n = 10
    assert conformal_quantile(scores, 0.8) == 9.0   # ceil(11 * 0.8) = 9th smallest
    assert conformal_quantile(scores, 0.95) == math.inf  # ceil(11 * 0.95) = 11 > n


def test_scaled_conformal_covers_heteroscedastic_exchangeable_data() -> None:
    rng = np.random.default_rng(1)
    scale = rng.uniform(0.5, 3.0, size=20_000)
    y = rng.normal(0, 1, size=(20_000, 2)) * scale[:, None] * np.sqrt([1, 2])
    yhat = np.zeros_like(y)
    calibration = ConformalCalibration.fit(y[:10_000], yhat[:10_000], scale[:10_000])
    for level in (0.8, 0.95):
        width = calibration.half_width(level, scale[10_000:])
        inside = np.abs(y[10_000:]) <= width
        assert inside.mean() == pytest.approx(level, abs=0.01)
    state = json.loads(json.dumps(calibration.to_state()))
    assert ConformalCalibration.from_state(state) == calibration


def test_ewma_volatility_is_causal_and_tracks_the_level() -> None:
    rng = np.random.default_rng(2)
    returns = np.concatenate([[np.nan], rng.normal(0, 0.01, 3000)])
    vol = ewma_volatility(returns)
    assert np.isnan(vol[0])
    assert vol[-1] == pytest.approx(0.01, rel=0.3)
    np.testing.assert_array_equal(ewma_volatility(returns[:1000]), vol[:1000])


def test_wilson_interval_matches_a_hand_computed_value() -> None:
    low, high = wilson_interval(60, 100)
    assert low == pytest.approx(0.5020, abs=1e-4)
    assert high == pytest.approx(0.6906, abs=1e-4)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_diebold_mariano_detects_a_better_forecast_and_not_an_equal_one() -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(size=400)
    good = truth - rng.normal(0, 0.3, size=400)
    noise_a = rng.normal(size=400)
    clearly = diebold_mariano(good - truth, truth, horizon=1)
    assert clearly["statistic"] < 0 and clearly["p_better"] < 0.001
    equal = diebold_mariano(noise_a, rng.normal(size=400), horizon=3)
    assert equal["p_value"] > 0.01


def test_diebold_mariano_applies_the_hln_correction() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=50), rng.normal(size=50) * 1.3
    d = a**2 - b**2
    raw = d.mean() / math.sqrt(((d - d.mean()) ** 2).mean() / 50)
    expected = raw * math.sqrt((50 + 1 - 2 + 0) / 50)
    assert diebold_mariano(a, b, horizon=1)["statistic"] == pytest.approx(expected)


def test_point_metrics_and_the_skill_label() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(0, 0.01, 500)
    close = np.full(500, 100.0)
    perfect = point_metrics(y, y, close, 1)
    assert perfect["mae"] == pytest.approx(0) and perfect["theil_u"] == pytest.approx(0)
    assert perfect["r2"] == pytest.approx(1) and perfect["directional"]["accuracy"] == 1
    walk = point_metrics(y, np.zeros(500), close, 1)
    assert walk["theil_u"] == pytest.approx(1.0) and walk["directional"]["accuracy"] is None
    assert skill_label(perfect["theil_u"], perfect["dm_p_better"]) == "skill"
    assert skill_label(0.99, 0.2) == "no skill"   # U below 1 but not significant
    assert skill_label(1.01, 0.001) == "no skill"
    assert directional_accuracy(np.array([1, -1, 1, 0]), np.array([1, 1, 1, 1]))["n"] == 3


def test_coverage_and_qlike() -> None:
    result = coverage(np.array([0.0, 1.0, 2.0, 3.0]), np.zeros(4), np.full(4, 2.0))
    assert result["coverage"] == 0.75 and result["mean_width"] == 2.0
    assert qlike(np.array([2.0, 3.0]), np.array([2.0, 3.0])) == pytest.approx(0.0)
    assert qlike(np.array([2.0]), np.array([1.0])) > 0


def test_holm_correction_needs_more_than_one_lucky_horizon() -> None:
    from ml.forecast.metrics import holm_reject

    assert holm_reject([0.013, 0.5, 0.9, 0.6, 0.7]) == [False] * 5  # 0.013 > 0.05 / 5
    assert holm_reject([0.001, 0.03, 0.9]) == [True, False, False]  # 0.03 > 0.05 / 2
    assert holm_reject([0.001, 0.02, 0.04]) == [True, True, True]
    assert holm_reject([float("nan"), 0.001]) == [False, True]
