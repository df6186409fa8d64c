"""Fit a forecaster on one symbol's bars: features, purged chronological splits, scalers fit on
the training rows only, a seeded network with early stopping, and conformal calibration.

``on_progress`` receives ``dict(epoch, epochs, loss, val_loss, phase)`` after every epoch;
``should_stop()`` is polled between batches and raises :class:`TrainingCancelled` when it
returns True (the Celery task uses both). ``scaler_scope="all"`` fits the feature scaler on
every row, test rows included: a deliberately leaky variant that exists only so the
truncation test can prove it catches look-ahead; never use it for a real model.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.forecast.datasets import (
    DEFAULT_FRACTIONS,
    SPLIT_NAMES,
    SplitPlan,
    make_windows,
    return_targets,
    variance_targets,
    window_ends,
)
from ml.forecast.features import feature_matrix, log_returns
from ml.forecast.forecaster import Forecaster
from ml.forecast.models.base import FitHistory, ProgressCallback, StopCallback, create_model
from ml.forecast.models.config import ModelConfig
from ml.forecast.models.conformal import DEFAULT_LEVELS, ConformalCalibration, ewma_volatility
from ml.forecast.models.errors import InsufficientHistoryError, TrainingCancelled
from ml.forecast.models.scaler import StandardScaler

logger = logging.getLogger(__name__)

__all__ = ["Dataset", "InsufficientHistoryError", "TrainingCancelled", "TrainingResult",
           "build_dataset", "fit_forecaster", "minimum_bars"]

MIN_SPLIT_SAMPLES = {"train": 100, "validation": 20, "calibration": 30, "test": 20}
SCALER_SCOPES = ("train", "all")


@dataclass
class Dataset:
    """Every sample of one bars frame: window end positions, targets, and split positions."""

    bars_index: pd.DatetimeIndex
    close: np.ndarray
    features: np.ndarray      # unscaled (rows, features)
    targets: np.ndarray       # (rows, H) in target units, NaN beyond the data
    samples: np.ndarray       # bar positions t with a full window and all H targets
    splits: dict[str, np.ndarray]  # split -> positions into ``samples``
    volatility: np.ndarray    # (rows,) causal EWMA volatility
    returns: np.ndarray       # (rows,) one-bar log returns

    def ends(self, split: str) -> np.ndarray:
        return self.samples[self.splits[split]]

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in SPLIT_NAMES:
            ends = self.ends(name)
            out[name] = {"samples": int(len(ends)),
                         "first": self.bars_index[ends[0]].isoformat() if len(ends) else None,
                         "last": self.bars_index[ends[-1]].isoformat() if len(ends) else None}
        return out


@dataclass
class TrainingResult:
    forecaster: Forecaster
    dataset: Dataset
    history: FitHistory
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def minimum_bars(config: ModelConfig, fractions: tuple[float, ...] = DEFAULT_FRACTIONS) -> int:
    """A lower bound on the bars a config needs (warm-up, window, targets, every split)."""
    total = sum(fractions)
    needed = max(math.ceil((MIN_SPLIT_SAMPLES[name] + config.horizon) * total / share)
                 for name, share in zip(SPLIT_NAMES, fractions, strict=True))
    return needed + config.window_length + config.horizon + _warm_up_bars(config)


def build_dataset(bars: pd.DataFrame, config: ModelConfig, plan: SplitPlan | None = None,
                  fractions: tuple[float, float, float, float] = DEFAULT_FRACTIONS) -> Dataset:
    """Features, targets and purged splits; raises InsufficientHistoryError when there is too
    little data, before any of the arithmetic that would fail on it with a cryptic message."""
    needed = minimum_bars(config, fractions)

    def too_little(detail: str = "") -> InsufficientHistoryError:
        return InsufficientHistoryError(len(bars), needed, window_length=config.window_length,
                                        horizon=config.horizon, detail=detail)

    if plan is None and len(bars) < needed:
        raise too_little()
    features = feature_matrix(bars, config.features)
    close = bars["close"].to_numpy(dtype=np.float64)
    make_targets = return_targets if config.target == "returns" else variance_targets
    targets = make_targets(close, config.horizon)
    ends = window_ends(features, config.window_length)
    samples = ends[np.isfinite(targets[ends]).all(axis=1)]
    plan = plan or SplitPlan.from_fractions(len(samples), fractions)
    if plan.test_end > len(samples):
        raise too_little(f"the split plan needs {plan.test_end} samples, the bars give "
                         f"{len(samples)}")
    if not plan.is_increasing():
        raise too_little(f"{len(samples)} samples cannot be split into train, validation, "
                         "calibration and test")
    splits = plan.indices(config.horizon)
    for name, minimum in MIN_SPLIT_SAMPLES.items():
        if len(splits[name]) < minimum:
            raise too_little(f"they give {len(splits[name])} {name} samples, {minimum} are "
                             "needed")
    returns = log_returns(close)
    return Dataset(bars.index, close, features, targets, samples, splits,
                   ewma_volatility(returns), returns)


def fit_forecaster(bars: pd.DataFrame, config: ModelConfig, *, plan: SplitPlan | None = None,
                   fractions: tuple[float, float, float, float] = DEFAULT_FRACTIONS,
                   levels: tuple[float, ...] = DEFAULT_LEVELS, conformal_method: str = "scaled",
                   on_progress: ProgressCallback | None = None,
                   should_stop: StopCallback | None = None,
                   scaler_scope: str = "train") -> TrainingResult:
    """Train and calibrate a forecaster; deterministic for the same bars, config and machine."""
    if scaler_scope not in SCALER_SCOPES:
        raise ValueError(f"scaler_scope must be one of {SCALER_SCOPES}, got {scaler_scope!r}")
    started = time.perf_counter()
    data = build_dataset(bars, config, plan, fractions)
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training cancelled before it started")
    feature_scaler = _fit_feature_scaler(data, config, scaler_scope)
    scaled = feature_scaler.transform(data.features)
    target_scaler = StandardScaler.fit(data.targets[data.ends("train")])

    def windows(split: str) -> tuple[np.ndarray, np.ndarray]:
        ends = data.ends(split)
        return (make_windows(scaled, ends, config.window_length),
                target_scaler.transform(data.targets[ends]))

    x_train, y_train = windows("train")
    x_val, y_val = windows("validation")
    model = create_model(config, len(config.features))
    history = model.fit(x_train, y_train, x_val, y_val, on_progress=on_progress,
                        should_stop=should_stop)
    method = conformal_method if config.target == "returns" else "absolute"
    forecaster = Forecaster(config=config, model=model, feature_scaler=feature_scaler,
                            target_scaler=target_scaler,
                            conformal=ConformalCalibration(method, (), {}, 0))
    cal_ends = data.ends("calibration")
    prepared_cal = make_windows(scaled, cal_ends, config.window_length)
    cal_pred = target_scaler.inverse(model.predict(prepared_cal))
    cal_true = data.targets[cal_ends]
    if config.target == "volatility":
        # QLIKE-optimal multiplier of a variance forecast: mean(realised / forecast).
        forecaster.variance_bias = float(np.log(np.mean(np.exp(cal_true - cal_pred))))
        cal_pred = cal_pred + forecaster.variance_bias
    forecaster.conformal = ConformalCalibration.fit(cal_true, cal_pred,
                                                    data.volatility[cal_ends], levels, method)
    seconds = time.perf_counter() - started
    logger.info("trained %s (%s) in %.1fs", config.kind, config.target, seconds)
    return TrainingResult(forecaster, data, history, seconds)


def _fit_feature_scaler(data: Dataset, config: ModelConfig, scope: str) -> StandardScaler:
    if scope == "all":
        return StandardScaler.fit(data.features)
    train_ends = data.ends("train")
    first_row = int(train_ends[0]) - config.window_length + 1
    return StandardScaler.fit(data.features[first_row: int(train_ends[-1]) + 1])


def _warm_up_bars(config: ModelConfig) -> int:
    from ml.forecast.features import parse_feature

    longest = 35  # MACD(12, 26, 9)
    for name in config.features:
        _, window = parse_feature(name)
        longest = max(longest, 2 * (window or 0) + 1)
    return longest
