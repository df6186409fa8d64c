"""Training, honest evaluation and calibration on the real samples and a simulated walk.

Models are tiny, so these tests check the pipeline (splits, scalers, baselines, coverage,
look-ahead), not forecasting skill; bench/ and docs/forecasting.md have the real runs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.forecast.evaluation import (
    OutOfSample,
    evaluate,
    inference_truncation_gap,
    prediction_series,
    training_truncation_gap,
    walk_forward,
)
from ml.forecast.models.errors import InsufficientHistoryError
from ml.forecast.training import TrainingResult, fit_forecaster, minimum_bars
from ml.json_values import json_safe
from tests.ml.forecast.conftest import tiny_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")

LEVELS = ("0.8", "0.95")


@pytest.fixture(scope="module")
def spx_result(spx_bars: pd.DataFrame) -> TrainingResult:
    return fit_forecaster(spx_bars, tiny_config(horizon=5))


@pytest.fixture(scope="module")
def spx_report(spx_result: TrainingResult) -> dict:
    return evaluate(spx_result)


def test_report_has_every_metric_beside_every_baseline(spx_report: dict) -> None:
    assert spx_report["target"] == "returns" and spx_report["split"] == "test"
    assert list(spx_report["horizons"]) == ["1", "2", "3", "4", "5"]
    for entry in spx_report["horizons"].values():
        assert set(entry["baselines"]) == {"random_walk", "drift", "moving_average"}
        for metrics in [entry["model"], *entry["baselines"].values()]:
            assert {"mae", "rmse", "mape", "r2", "theil_u", "dm_statistic", "dm_p_value",
                    "dm_p_better", "directional", "n"} <= set(metrics)
        directional = entry["model"]["directional"]
        assert directional["ci_low"] <= directional["accuracy"] <= directional["ci_high"]
        assert set(entry["coverage"]) == set(LEVELS)
        assert entry["verdict"] in {"skill", "no skill"}
        assert entry["baselines"]["random_walk"]["theil_u"] == pytest.approx(1.0)
    summary = spx_report["summary"]
    assert summary["verdict"] in {"skill", "no skill"}
    json.dumps(json_safe(spx_report), allow_nan=False)


def test_a_tiny_model_on_the_sp500_is_called_no_skill(spx_report: dict) -> None:
    # A 6-unit LSTM after 3 epochs cannot beat the random walk significantly; saying so
    # plainly is the point of the verdict.
    assert spx_report["summary"]["verdict"] == "no skill"


def test_splits_are_chronological_and_the_test_period_is_last(spx_result: TrainingResult,
                                                               spx_bars: pd.DataFrame) -> None:
    splits = spx_result.dataset.describe()
    assert splits["train"]["first"] < splits["train"]["last"] < splits["validation"]["first"]
    assert splits["calibration"]["last"] < splits["test"]["first"]
    assert pd.Timestamp(splits["test"]["last"]) <= spx_bars.index[-6]  # targets need 5 bars


def test_feature_scaler_is_fit_on_training_rows_only(spx_result: TrainingResult) -> None:
    data = spx_result.dataset
    train_ends = data.ends("train")
    rows = data.features[train_ends[0] - 11: train_ends[-1] + 1]
    np.testing.assert_allclose(spx_result.forecaster.feature_scaler.mean, rows.mean(axis=0))
    assert not np.allclose(spx_result.forecaster.feature_scaler.mean,
                           np.nanmean(data.features, axis=0))


def _coverage_by_horizon(report: dict) -> dict[str, list[float]]:
    return {level: [e["coverage"][level]["coverage"] for e in report["horizons"].values()]
            for level in LEVELS}


@pytest.mark.parametrize("dataset", ["spx_bars", "eurusd_bars", "random_walk_bars"])
def test_conformal_bands_cover_within_3_points_out_of_sample(
        dataset: str, request: pytest.FixtureRequest) -> None:
    bars = request.getfixturevalue(dataset)
    report = evaluate(fit_forecaster(bars, tiny_config(horizon=5)))
    by_horizon = _coverage_by_horizon(report)
    for level, values in by_horizon.items():
        nominal = float(level)
        assert abs(np.mean(values) - nominal) <= 0.03, (dataset, level, values)
        assert all(abs(v - nominal) <= 0.05 for v in values), (dataset, level, values)


def test_forecast_at_t_does_not_change_when_later_bars_arrive(
        spx_result: TrainingResult, spx_bars: pd.DataFrame) -> None:
    positions = [1500, 3000, len(spx_bars) - 200]
    assert inference_truncation_gap(spx_result.forecaster, spx_bars, positions) < 1e-6


def test_training_truncation_invariance_passes_and_a_leaky_scaler_fails(
        spx_bars: pd.DataFrame) -> None:
    bars = spx_bars.iloc[:1400]
    config = tiny_config(epochs=2)
    honest = training_truncation_gap(bars, config, cut=1100, extra=300)
    leaky = training_truncation_gap(bars, config, cut=1100, extra=300, scaler_scope="all")
    assert honest < 1e-6
    assert leaky > 1e-4  # the scaler saw the 300 later bars, so the forecast at t moved


def test_live_forecast_has_a_price_path_inside_nested_bands(
        spx_result: TrainingResult, spx_bars: pd.DataFrame) -> None:
    forecast = spx_result.forecaster.forecast(spx_bars)
    assert forecast.origin == spx_bars.index[-1]
    assert len(forecast.prices) == 5
    for i, price in enumerate(forecast.prices):
        inner, outer = forecast.bands["0.8"], forecast.bands["0.95"]
        assert outer["lower"][i] < inner["lower"][i] < price < inner["upper"][i] < \
            outer["upper"][i]
    # the tail-only live path gives the same numbers as the full-history evaluation path
    prepared = spx_result.forecaster.prepare(spx_bars)
    full = spx_result.forecaster.predict_at(prepared, np.array([len(spx_bars) - 1]))[0]
    np.testing.assert_allclose(np.log(np.array(forecast.prices) / forecast.last_close), full,
                               atol=1e-9)


@pytest.mark.parametrize("bars", [3, 10, 60, 100])
def test_short_history_is_said_in_bars_for_training_and_walk_forward(
        spx_bars: pd.DataFrame, bars: int) -> None:
    """3 bars used to fail with "operands could not be broadcast", 10-100 with "split positions
    must be increasing, got SplitPlan(...)"."""
    config = tiny_config()
    for run in (lambda: fit_forecaster(spx_bars.iloc[:bars], config),
                lambda: walk_forward(spx_bars.iloc[:bars], config, folds=2)):
        with pytest.raises(InsufficientHistoryError) as raised:
            run()
        message = str(raised.value)
        assert message.startswith(f"too little history: {bars} bars")
        assert f"needs at least {minimum_bars(config)} bars" in message
        assert "SplitPlan" not in message and "broadcast" not in message
        assert isinstance(raised.value, ValueError)  # callers that catch ValueError still do


def test_too_little_history_is_a_clear_value_error(spx_bars: pd.DataFrame) -> None:
    config = tiny_config()
    needed = minimum_bars(config)
    with pytest.raises(ValueError, match=f"too little history: 150 bars.* at least {needed}"):
        fit_forecaster(spx_bars.iloc[:150], config)
    assert needed > 150
    fit_forecaster(spx_bars.iloc[:needed], config.with_changes(epochs=1))  # and it is enough


def test_volatility_mode_is_compared_with_garch(spx_bars: pd.DataFrame) -> None:
    result = fit_forecaster(spx_bars.iloc[-2500:], tiny_config(target="volatility"))
    report = evaluate(result)
    assert report["target"] == "volatility"
    for entry in report["horizons"].values():
        for name in ("model", "garch", "ewma"):
            assert entry[name]["qlike"] >= 0 and entry[name]["mse"] > 0
        assert entry["verdict"] in {"beats GARCH", "does not beat GARCH"}
    forecast = result.forecaster.forecast(spx_bars.iloc[-2500:])
    assert forecast.prices is None and all(0 < v < 0.2 for v in forecast.central)


@pytest.fixture(scope="module")
def walk(random_walk_bars: pd.DataFrame) -> tuple[dict, list[str]]:
    phases: list[str] = []
    report = walk_forward(random_walk_bars.iloc[:2500], tiny_config(epochs=1), folds=2,
                          mode="sliding", on_progress=lambda p: phases.append(p["phase"]))
    return report, phases


def test_walk_forward_refits_each_fold_and_reports_all_blocks(
        walk: tuple[dict, list[str]], random_walk_bars: pd.DataFrame) -> None:
    report, phases = walk
    assert [f["fold"] for f in report["folds"]] == [1, 2]
    assert report["folds"][0]["period"]["last"] < report["folds"][1]["period"]["first"]
    assert report["folds"][0]["train"]["first"] < report["folds"][1]["train"]["first"]
    assert {"fold 1/2: train", "fold 2/2: train"} <= set(phases)
    assert report["samples"] == sum(1 for _ in range(report["samples"]))
    assert report["summary"]["verdict"] == "no skill"  # it is a random walk
    with pytest.raises(ValueError, match="folds must be between 1 and 20, got 0"):
        walk_forward(random_walk_bars, tiny_config(), folds=0)


def test_walk_forward_predictions_are_out_of_sample_and_aligned_with_actuals(
        walk: tuple[dict, list[str]], random_walk_bars: pd.DataFrame) -> None:
    report, _phases = walk
    series = report["predictions"]
    assert json.loads(json.dumps(series)) == series  # JSON as it is
    n = series["kept"]
    assert series["horizon"] == 1 and n == series["total"] == report["samples"]
    assert {len(v) for v in series.values() if isinstance(v, list)} == {n}
    index = random_walk_bars.index
    stamps = pd.DatetimeIndex(series["timestamp"])
    positions = index.get_indexer(stamps)
    assert (positions > 0).all() and stamps.is_monotonic_increasing
    # Each forecast is for the bar after its origin, and the actual is that bar's close.
    np.testing.assert_allclose(series["actual"], random_walk_bars["close"].iloc[positions],
                               rtol=1e-7)
    origins = index[positions - 1]
    folds = np.asarray(series["fold"])
    assert sorted(set(folds)) == [1, 2] and (np.diff(folds) >= 0).all()
    for fold in report["folds"]:
        mine = origins[folds == fold["fold"]]
        period = fold["period"]
        # Every origin lies in its fold's test block, after the bars the fold trained on.
        assert mine[0] == pd.Timestamp(period["first"])
        assert mine[-1] == pd.Timestamp(period["last"])
        assert mine[0] > pd.Timestamp(fold["train"]["last"])
    lower_95, lower_80 = np.asarray(series["lower_95"]), np.asarray(series["lower_80"])
    upper_80, upper_95 = np.asarray(series["upper_80"]), np.asarray(series["upper_95"])
    predicted = np.asarray(series["predicted"])
    assert (lower_95 <= lower_80).all() and (lower_80 < predicted).all()
    assert (predicted < upper_80).all() and (upper_80 <= upper_95).all()
    assert not np.allclose(predicted, series["actual"])


def test_prediction_series_keeps_only_the_latest_forecasts(
        random_walk_bars: pd.DataFrame) -> None:
    def part(ends: np.ndarray) -> OutOfSample:
        zeros = np.zeros((len(ends), 1))
        return OutOfSample(ends, zeros, zeros + 0.01, np.full(len(ends), 100.0),
                           {"0.8": (zeros - 0.02, zeros + 0.02)}, {}, {})

    series = prediction_series([part(np.arange(10, 20)), part(np.arange(20, 25))],
                               random_walk_bars.index, limit=8)
    assert series["total"] == 15 and series["kept"] == 8
    assert series["fold"] == [1, 1, 1, 2, 2, 2, 2, 2]
    assert series["timestamp"][-1] == random_walk_bars.index[25].isoformat()
    assert series["actual"] == [100.0] * 8
    assert series["predicted"][0] == pytest.approx(100 * np.exp(0.01))
    assert series["lower_80"][0] == pytest.approx(100 * np.exp(-0.02))
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        prediction_series([part(np.arange(10, 20))], random_walk_bars.index, limit=0)
