"""Out-of-sample evaluation against naive baselines, walk-forward backtests, truncation checks.

Every number here is computed on predictions for bars the model never trained, early-stopped
or calibrated on. The random walk (zero return: tomorrow's price is today's) is the reference
for Theil's U and the Diebold-Mariano test; a model is said to have skill at a horizon only
when U < 1 and the DM test rejects equal accuracy in its favour at 5%.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.forecast.datasets import SplitPlan, make_windows
from ml.forecast.forecaster import Forecaster
from ml.forecast.metrics import (
    coverage,
    diebold_mariano_losses,
    holm_reject,
    point_metrics,
    qlike,
    skill_label,
)
from ml.forecast.models.base import ProgressCallback, StopCallback
from ml.forecast.models.config import ModelConfig
from ml.forecast.models.conformal import ConformalCalibration
from ml.forecast.training import Dataset, TrainingResult, build_dataset, fit_forecaster
from ml.forecast.volatility import ewma_variance_forecasts, garch_variance_forecasts

logger = logging.getLogger(__name__)

MA_WINDOW = 20
WALK_FORWARD_MODES = ("expanding", "sliding")
DEV_FRACTIONS = (0.7, 0.12, 0.18)  # train / validation / calibration inside each fold
BACKTEST_POINTS = 2000  # out-of-sample forecasts kept in a walk-forward report (the latest)
PRICE_DIGITS = 8  # significant digits of stored prices: exact enough, and a small job result


@dataclass
class OutOfSample:
    """Aligned out-of-sample arrays: origins, outcomes, model forecasts and bands."""

    ends: np.ndarray
    y: np.ndarray                   # (n, H) target units
    yhat: np.ndarray                # (n, H)
    close: np.ndarray               # (n,) origin closes
    bands: dict[str, tuple[np.ndarray, np.ndarray]]
    unscaled_bands: dict[str, tuple[np.ndarray, np.ndarray]]
    baselines: dict[str, np.ndarray]

    @staticmethod
    def concat(parts: list[OutOfSample]) -> OutOfSample:
        first = parts[0]
        return OutOfSample(
            ends=np.concatenate([p.ends for p in parts]),
            y=np.concatenate([p.y for p in parts]),
            yhat=np.concatenate([p.yhat for p in parts]),
            close=np.concatenate([p.close for p in parts]),
            bands={k: (np.concatenate([p.bands[k][0] for p in parts]),
                       np.concatenate([p.bands[k][1] for p in parts])) for k in first.bands},
            unscaled_bands={k: (np.concatenate([p.unscaled_bands[k][0] for p in parts]),
                                np.concatenate([p.unscaled_bands[k][1] for p in parts]))
                            for k in first.unscaled_bands},
            baselines={k: np.concatenate([p.baselines[k] for p in parts])
                       for k in first.baselines})


# --- predictions ---------------------------------------------------------------------------

def predict_split(result: TrainingResult, split: str = "test") -> OutOfSample:
    """The trained forecaster's predictions, bands and baselines for one split."""
    forecaster, data = result.forecaster, result.dataset
    scaled = forecaster.feature_scaler.transform(data.features)
    ends = data.ends(split)
    config = forecaster.config

    def predict(positions: np.ndarray) -> np.ndarray:
        windows = make_windows(scaled, positions, config.window_length)
        raw = forecaster.target_scaler.inverse(forecaster.model.predict(windows))
        return raw + forecaster.variance_bias if config.target == "volatility" else raw

    yhat = predict(ends)
    bands = {}
    for level in forecaster.conformal.levels:
        bands[f"{level:g}"] = forecaster.bands(yhat, data.volatility[ends], level)
    # The same calibration without volatility scaling, reported for comparison.
    cal_ends = data.ends("calibration")
    plain = ConformalCalibration.fit(data.targets[cal_ends], predict(cal_ends), None,
                                     forecaster.conformal.levels, "absolute")
    unscaled = {}
    for level in plain.levels:
        width = plain.half_width(level, np.ones(len(ends)))
        unscaled[f"{level:g}"] = (yhat - width, yhat + width)
    return OutOfSample(ends, data.targets[ends], yhat, data.close[ends], bands, unscaled,
                       _baselines(data, ends, config))


def _baselines(data: Dataset, ends: np.ndarray, config: ModelConfig) -> dict[str, np.ndarray]:
    horizons = np.arange(1, config.horizon + 1)
    if config.target == "volatility":
        train_last = int(data.ends("train")[-1])
        return {"garch": np.log(garch_variance_forecasts(data.returns, train_last, ends,
                                                         config.horizon)),
                "ewma": np.log(ewma_variance_forecasts(data.volatility, ends, config.horizon))}
    train_ends = data.ends("train")
    train_returns = data.returns[1: int(train_ends[-1]) + 1]
    drift = float(np.nanmean(train_returns))
    close = pd.Series(data.close)
    moving_average = close.rolling(MA_WINDOW, min_periods=MA_WINDOW).mean().to_numpy()
    ma_return = np.log(moving_average[ends] / data.close[ends])
    return {"random_walk": np.zeros((len(ends), config.horizon)),
            "drift": np.broadcast_to(drift * horizons, (len(ends), config.horizon)).copy(),
            "moving_average": np.repeat(ma_return[:, None], config.horizon, axis=1)}


# --- reports -------------------------------------------------------------------------------

def evaluate(result: TrainingResult, split: str = "test") -> dict[str, Any]:
    """The report for one split: metrics per horizon beside baselines, coverage, verdict."""
    oos = predict_split(result, split)
    report = report_from_predictions(oos, result.forecaster.config)
    report["split"] = split
    report["period"] = _period(result.dataset.bars_index, oos.ends)
    return report


def report_from_predictions(oos: OutOfSample, config: ModelConfig) -> dict[str, Any]:
    if config.target == "volatility":
        return _volatility_report(oos, config)
    horizons: dict[str, Any] = {}
    for h in range(config.horizon):
        y = oos.y[:, h]
        entry: dict[str, Any] = {"model": point_metrics(y, oos.yhat[:, h], oos.close, h + 1)}
        entry["baselines"] = {name: point_metrics(y, forecast[:, h], oos.close, h + 1)
                              for name, forecast in oos.baselines.items()}
        entry["coverage"] = {level: coverage(y, low[:, h], high[:, h])
                             for level, (low, high) in oos.bands.items()}
        entry["coverage_unscaled"] = {level: coverage(y, low[:, h], high[:, h])["coverage"]
                                      for level, (low, high) in oos.unscaled_bands.items()}
        entry["verdict"] = skill_label(entry["model"]["theil_u"], entry["model"]["dm_p_better"])
        horizons[str(h + 1)] = entry
    return {"target": "returns", "samples": int(len(oos.ends)), "horizons": horizons,
            "summary": _summary(horizons)}


def _summary(horizons: dict[str, Any]) -> dict[str, Any]:
    """Overall verdict: skill at some horizon after Holm's correction across horizons."""
    levels = next(iter(horizons.values()))["coverage"].keys()
    models = [e["model"] for e in horizons.values()]
    rejected = holm_reject([m["dm_p_better"] for m in models])
    skilled = [int(h) for (h, e), significant in zip(horizons.items(), rejected, strict=True)
               if significant and e["model"]["theil_u"] is not None
               and e["model"]["theil_u"] < 1]
    return {
        "verdict": "skill" if skilled else "no skill",
        "skill_horizons": skilled,
        "skill_horizons_unadjusted": [int(h) for h, e in horizons.items()
                                      if e["verdict"] == "skill"],
        "mean_theil_u": float(np.mean([e["model"]["theil_u"] for e in horizons.values()])),
        "coverage": {level: float(np.mean([e["coverage"][level]["coverage"]
                                           for e in horizons.values()])) for level in levels},
        "coverage_unscaled": {level: float(np.mean([e["coverage_unscaled"][level]
                                                    for e in horizons.values()]))
                              for level in levels},
    }


def _volatility_report(oos: OutOfSample, config: ModelConfig) -> dict[str, Any]:
    horizons: dict[str, Any] = {}
    for h in range(config.horizon):
        realised = np.exp(oos.y[:, h])
        forecasts = {"model": np.exp(oos.yhat[:, h])}
        forecasts.update({name: np.exp(values[:, h]) for name, values in oos.baselines.items()})
        entry: dict[str, Any] = {}
        for name, forecast in forecasts.items():
            entry[name] = {"qlike": qlike(realised, forecast),
                           "mse": float(np.mean((forecast - realised) ** 2)),
                           "mse_log": float(np.mean((np.log(forecast) - oos.y[:, h]) ** 2))}
        ratio_model = realised / forecasts["model"]
        ratio_garch = realised / forecasts["garch"]
        dm = diebold_mariano_losses(ratio_model - np.log(ratio_model) - 1,
                                    ratio_garch - np.log(ratio_garch) - 1, h + 1)
        entry["dm_vs_garch_qlike"] = dm
        entry["coverage"] = {level: coverage(oos.y[:, h], low[:, h], high[:, h])
                             for level, (low, high) in oos.bands.items()}
        entry["verdict"] = ("beats GARCH" if entry["model"]["qlike"] < entry["garch"]["qlike"]
                            and dm["p_better"] < 0.05 else "does not beat GARCH")
        horizons[str(h + 1)] = entry
    rejected = holm_reject([e["dm_vs_garch_qlike"]["p_better"] for e in horizons.values()])
    beats = [int(h) for (h, e), significant in zip(horizons.items(), rejected, strict=True)
             if significant and e["model"]["qlike"] < e["garch"]["qlike"]]
    levels = next(iter(horizons.values()))["coverage"].keys()
    return {"target": "volatility", "samples": int(len(oos.ends)), "horizons": horizons,
            "summary": {"verdict": "beats GARCH" if beats else "does not beat GARCH",
                        "beats_garch_horizons": beats,
                        "beats_garch_horizons_unadjusted": [
                            int(h) for h, e in horizons.items()
                            if e["verdict"] == "beats GARCH"],
                        "coverage": {level: float(np.mean([e["coverage"][level]["coverage"]
                                                           for e in horizons.values()]))
                                     for level in levels}}}


def _period(index: pd.DatetimeIndex, ends: np.ndarray) -> dict[str, Any]:
    return {"first": index[ends[0]].isoformat(), "last": index[ends[-1]].isoformat()}


# --- walk-forward --------------------------------------------------------------------------

def walk_forward(bars: pd.DataFrame, config: ModelConfig, *, folds: int = 5,
                 mode: str = "expanding", initial_fraction: float = 0.5,
                 on_progress: ProgressCallback | None = None,
                 should_stop: StopCallback | None = None) -> dict[str, Any]:
    """Refit on each fold's past, predict its test block; report on all blocks together."""
    if not 1 <= folds <= 20:
        raise ValueError(f"folds must be between 1 and 20, got {folds}")
    if mode not in WALK_FORWARD_MODES:
        raise ValueError(f"mode must be one of {WALK_FORWARD_MODES}, got {mode!r}")
    if not 0.2 <= initial_fraction <= 0.9:
        raise ValueError(f"initial_fraction must be in [0.2, 0.9], got {initial_fraction}")
    n = len(build_dataset(bars, config).samples)
    first_test = round(n * initial_fraction)
    block = (n - first_test) // folds
    parts, fold_reports = [], []
    for fold in range(folds):
        start = first_test + fold * block
        end = n if fold == folds - 1 else start + block
        dev_start = 0 if mode == "expanding" else max(0, start - first_test)
        plan = _fold_plan(dev_start, start, end)

        def progress(info: dict[str, Any], fold: int = fold) -> None:
            if on_progress is not None:
                on_progress({**info, "phase": f"fold {fold + 1}/{folds}: {info['phase']}"})

        result = fit_forecaster(bars, config, plan=plan, on_progress=progress,
                                should_stop=should_stop)
        oos = predict_split(result, "test")
        parts.append(oos)
        summary = report_from_predictions(oos, config)["summary"]
        fold_reports.append({"fold": fold + 1, "period": _period(result.dataset.bars_index,
                                                                 oos.ends),
                             "train": result.dataset.describe()["train"],
                             "epochs_run": result.history.epochs_run, **summary})
    report = report_from_predictions(OutOfSample.concat(parts), config)
    index = bars.index
    report.update({"mode": mode, "folds": fold_reports,
                   "period": {"first": index[parts[0].ends[0]].isoformat(),
                              "last": index[parts[-1].ends[-1]].isoformat()}})
    if config.target == "returns":
        report["predictions"] = prediction_series(parts, index)
    return report


def prediction_series(parts: list[OutOfSample], index: pd.DatetimeIndex, *,
                      limit: int = BACKTEST_POINTS) -> dict[str, Any]:
    """The one-bar-ahead out-of-sample price forecasts of every fold, as parallel lists.

    ``timestamp[i]`` is the bar forecast (the bar after the origin), ``actual[i]`` its close,
    ``predicted[i]`` and the ``lower_80`` .. ``upper_95`` bounds the price the fold's model
    gave from the bar before; ``fold[i]`` is its 1-based fold. Only the latest ``limit``
    forecasts are kept so the stored job result stays small; ``total`` counts them all.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    folds = np.concatenate([np.full(len(p.ends), k + 1) for k, p in enumerate(parts)])
    oos = OutOfSample.concat(parts)
    keep = slice(max(0, len(oos.ends) - limit), None)
    close = oos.close[keep]

    def prices(log_returns: np.ndarray) -> list[float]:
        values = close * np.exp(log_returns[keep, 0])
        return [float(f"{value:.{PRICE_DIGITS}g}") for value in values]

    out: dict[str, Any] = {
        "horizon": 1, "total": int(len(oos.ends)), "kept": int(len(close)),
        "timestamp": [ts.isoformat() for ts in index[oos.ends[keep] + 1]],
        "fold": folds[keep].tolist(), "actual": prices(oos.y), "predicted": prices(oos.yhat)}
    for level, (low, high) in oos.bands.items():
        percent = f"{float(level) * 100:g}"
        out[f"lower_{percent}"] = prices(low)
        out[f"upper_{percent}"] = prices(high)
    return out


def _fold_plan(dev_start: int, test_start: int, test_end: int) -> SplitPlan:
    size = test_start - dev_start
    train_end = dev_start + round(size * DEV_FRACTIONS[0])
    validation_end = train_end + round(size * DEV_FRACTIONS[1])
    return SplitPlan(train_end, validation_end, test_start, test_end, train_start=dev_start)


# --- truncation invariance -----------------------------------------------------------------

def inference_truncation_gap(forecaster: Forecaster, bars: pd.DataFrame,
                             positions: list[int]) -> float:
    """Largest difference between the forecast at t from bars[:t+1] and from all bars."""
    full = forecaster.predict_at(forecaster.prepare(bars), np.asarray(positions))
    gaps = []
    for row, position in enumerate(positions):
        truncated = bars.iloc[: position + 1]
        alone = forecaster.predict_at(forecaster.prepare(truncated), np.array([position]))[0]
        gaps.append(float(np.max(np.abs(alone - full[row]))))
    return max(gaps)


def training_truncation_gap(bars: pd.DataFrame, config: ModelConfig, cut: int, extra: int,
                            *, scaler_scope: str = "train") -> float:
    """Train on bars[:cut+1] and on bars[:cut+1+extra] with the same split boundaries, and
    compare the two forecasts made at bar ``cut``. A causal pipeline gives the same forecast;
    one that lets later data into training (e.g. a scaler fit on all rows) does not.
    """
    short = bars.iloc[: cut + 1]
    n = len(build_dataset(short, config).samples)
    plan = SplitPlan.from_fractions(n)
    forecasts = []
    for frame in (short, bars.iloc[: cut + 1 + extra]):
        result = fit_forecaster(frame, config, plan=plan, scaler_scope=scaler_scope)
        prepared = result.forecaster.prepare(frame)
        forecasts.append(result.forecaster.predict_at(prepared, np.array([cut]))[0])
    return float(np.max(np.abs(forecasts[0] - forecasts[1])))

