"""Model hyperparameters, spelled out in one frozen dataclass that is stored with every model."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

MODEL_KINDS = ("lstm", "gru", "attention", "ensemble")
TARGETS = ("returns", "volatility")
MAX_HORIZON = 60
ENSEMBLE_MEMBERS = ("lstm", "gru", "attention")

# Scale-free features: log returns, realised volatility, volume z-score and indicators divided
# by price or centred on their neutral value (names are parsed by ml.forecast.features).
DEFAULT_FEATURES: tuple[str, ...] = (
    "log_return",
    "realized_vol_20",
    "volume_z_20",
    "hl_range",
    "rsi_14",
    "macd_hist",
    "bb_pctb_20",
    "sma_gap_50",
)


@dataclass(frozen=True)
class ModelConfig:
    """Everything that decides a model: architecture, training and the feature set.

    ``units`` is the width of the first recurrent layer, each further layer is half as wide
    (64 then 32 by default; ``ml.forecast.models.networks.layer_widths``); ``layers`` how many.
    ``horizon`` H means targets for h = 1..H bars ahead (direct multi-output).
    """

    kind: str = "lstm"
    target: str = "returns"
    window_length: int = 60
    units: int = 64
    layers: int = 2
    dropout: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 64
    epochs: int = 50
    early_stopping_patience: int = 5
    horizon: int = 5
    seed: int = 42
    features: tuple[str, ...] = field(default=DEFAULT_FEATURES)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad value."""
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MODEL_KINDS)}, got {self.kind!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        _check_int("window_length", self.window_length, 2, 1000)
        _check_int("units", self.units, 1, 1024)
        _check_int("layers", self.layers, 1, 8)
        _check_int("batch_size", self.batch_size, 1, 65536)
        _check_int("epochs", self.epochs, 1, 10000)
        _check_int("early_stopping_patience", self.early_stopping_patience, 0, 10000)
        _check_int("horizon", self.horizon, 1, MAX_HORIZON)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_float("dropout", self.dropout, 0.0, 1.0, upper_open=True)
        _check_float("learning_rate", self.learning_rate, 0.0, 1.0, lower_open=True)
        if not self.features:
            raise ValueError("features must name at least one feature, got an empty list")
        from ml.forecast.features import validate_feature_names

        validate_feature_names(self.features)

    def with_changes(self, **changes: Any) -> ModelConfig:
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["features"] = list(self.features)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(unknown)}")
        return cls(**data)


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


def _check_float(name: str, value: object, low: float, high: float, *,
                 lower_open: bool = False, upper_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    too_low = number <= low if lower_open else number < low
    too_high = number >= high if upper_open else number > high
    if not math.isfinite(number) or too_low or too_high:
        left = "(" if lower_open else "["
        right = ")" if upper_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value}")
