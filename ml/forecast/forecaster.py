"""A trained forecaster: features -> scaler -> network -> target units -> conformal bands.

Everything except the network is plain data with a JSON state (scalers, conformal quantiles,
volatility bias), stored beside the ``.keras`` bytes in the registry. The same object makes
the evaluation's out-of-sample predictions and the app's live forecast, so what is measured is
what is served.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.forecast.datasets import make_windows, window_ends
from ml.forecast.features import feature_matrix, log_returns
from ml.forecast.models.base import SequenceModel
from ml.forecast.models.config import ModelConfig
from ml.forecast.models.conformal import ConformalCalibration, ewma_volatility
from ml.forecast.models.scaler import StandardScaler

logger = logging.getLogger(__name__)

STATE_FORMAT = 1
# A live forecast computes features on the last window + FORECAST_TAIL bars only. Recursive
# indicators (Wilder's RSI, MACD's EMAs, ADX) forget their seed geometrically: after 1,000
# bars the difference from the full-history value is below 1e-12.
FORECAST_TAIL = 1000


@dataclass
class Prepared:
    """Scaled features and what the intervals need, for one bars frame."""

    scaled: np.ndarray       # (rows, features), NaN during warm-up
    ends: np.ndarray         # bar positions with a full window
    close: np.ndarray        # (rows,)
    volatility: np.ndarray   # (rows,) causal EWMA volatility used to scale the bands


@dataclass
class Forecast:
    """A forecast made at the last bar: per-horizon central value and bands."""

    origin: pd.Timestamp
    last_close: float
    target: str
    horizons: list[int]
    central: list[float]              # log returns (returns) or volatility (volatility)
    prices: list[float] | None        # price path for the returns target
    bands: dict[str, dict[str, list[float]]]  # level -> {"lower": [...], "upper": [...]}

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin.isoformat(), "last_close": self.last_close,
                "target": self.target, "horizons": self.horizons, "central": self.central,
                "prices": self.prices, "bands": self.bands}


@dataclass
class Forecaster:
    config: ModelConfig
    model: SequenceModel
    feature_scaler: StandardScaler
    target_scaler: StandardScaler
    conformal: ConformalCalibration
    variance_bias: float = 0.0  # volatility target: log of the calibration-fold mean RV/forecast

    # --- predictions in target units --------------------------------------------------

    def prepare(self, bars: pd.DataFrame) -> Prepared:
        features = feature_matrix(bars, self.config.features)
        scaled = self.feature_scaler.transform(features)
        close = bars["close"].to_numpy(dtype=np.float64)
        return Prepared(scaled, window_ends(features, self.config.window_length), close,
                        ewma_volatility(log_returns(close)))

    def predict_at(self, prepared: Prepared, ends: np.ndarray) -> np.ndarray:
        """(len(ends), H) forecasts in target units (log return or log variance)."""
        windows = make_windows(prepared.scaled, np.asarray(ends), self.config.window_length)
        raw = self.target_scaler.inverse(self.model.predict(windows))
        if self.config.target == "volatility":
            raw = raw + self.variance_bias
        return raw

    def bands(self, central: np.ndarray, volatility: np.ndarray, level: float
              ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds around ``central`` (target units) at ``level``."""
        scale = volatility if self.conformal.method == "scaled" else None
        width = self.conformal.half_width(level, scale)
        return central - width, central + width

    # --- the live forecast ---------------------------------------------------------------

    def forecast(self, bars: pd.DataFrame) -> Forecast:
        """The forecast made at the last bar of ``bars``."""
        bars = bars.iloc[-(self.config.window_length + FORECAST_TAIL):]
        prepared = self.prepare(bars)
        last = len(bars) - 1
        if len(prepared.ends) == 0 or prepared.ends[-1] != last:
            raise ValueError(f"too little history: the last {self.config.window_length} bars "
                             "must all have features (need more bars for indicator warm-up)")
        central = self.predict_at(prepared, np.array([last]))[0]
        volatility = prepared.volatility[[last]]
        close = float(prepared.close[last])
        bands: dict[str, dict[str, list[float]]] = {}
        for level in self.conformal.levels:
            low, high = self.bands(central[None, :], volatility, level)
            bands[f"{level:g}"] = {"lower": self._to_output(low[0], close),
                                   "upper": self._to_output(high[0], close)}
        returns = self.config.target == "returns"
        return Forecast(
            origin=bars.index[last], last_close=close, target=self.config.target,
            horizons=list(range(1, self.config.horizon + 1)),
            central=[float(x) for x in (central if returns else np.sqrt(np.exp(central)))],
            prices=self._to_output(central, close) if returns else None, bands=bands)

    def _to_output(self, values: np.ndarray, close: float) -> list[float]:
        """Log returns -> prices; log variances -> volatilities."""
        if self.config.target == "returns":
            return [close * math.exp(float(v)) for v in values]
        return [math.sqrt(math.exp(float(v))) for v in values]

    # --- storage ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything but the network, as JSON-able data."""
        return {"format": STATE_FORMAT, "config": self.config.to_dict(),
                "n_features": self.model.n_features,
                "feature_scaler": self.feature_scaler.to_state(),
                "target_scaler": self.target_scaler.to_state(),
                "conformal": self.conformal.to_state(), "variance_bias": self.variance_bias}

    def network_bytes(self) -> bytes:
        return self.model.save()

    @classmethod
    def from_parts(cls, state: dict[str, Any], network: bytes) -> Forecaster:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported forecaster state format {state.get('format')!r}")
        config = ModelConfig.from_dict(state["config"])
        n_features = int(state["n_features"])
        if n_features != len(config.features):
            raise ValueError(f"state has {n_features} features, config lists "
                             f"{len(config.features)}")
        return cls(config=config, model=SequenceModel.load(network, config, n_features),
                   feature_scaler=StandardScaler.from_state(state["feature_scaler"]),
                   target_scaler=StandardScaler.from_state(state["target_scaler"]),
                   conformal=ConformalCalibration.from_state(state["conformal"]),
                   variance_bias=float(state.get("variance_bias", 0.0)))
