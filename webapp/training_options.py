"""What a training request from the web may ask for: model kinds and hyperparameters within
bounds safe for a small shared machine (stricter than ``ModelConfig``'s own limits).

One table serves the settings page (its inputs' min/max), the API (validation) and the
OpenAPI document (the schema), so the three never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MODEL_KINDS: tuple[str, ...] = ("lstm", "gru", "attention", "ensemble")
TARGETS: tuple[str, ...] = ("returns", "volatility")
MAX_SYMBOLS = 50


@dataclass(frozen=True)
class Bound:
    name: str
    kind: type
    low: float
    high: float
    default: float
    label: str


BOUNDS: tuple[Bound, ...] = (
    Bound("epochs", int, 1, 200, 30, "Epochs"),
    Bound("window_length", int, 10, 250, 60, "Window (bars)"),
    Bound("units", int, 4, 256, 64, "Units per layer"),
    Bound("layers", int, 1, 3, 2, "Layers"),
    Bound("dropout", float, 0.0, 0.5, 0.1, "Dropout"),
    Bound("learning_rate", float, 1e-5, 0.1, 1e-3, "Learning rate"),
    Bound("batch_size", int, 8, 512, 64, "Batch size"),
    Bound("early_stopping_patience", int, 0, 50, 5, "Early-stopping patience"),
    Bound("horizon", int, 1, 30, 5, "Horizon (bars)"),
)
BOUNDS_BY_NAME = {b.name: b for b in BOUNDS}


class FieldError(ValueError):
    """One bad field of a training request."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_hyperparameter(name: str, value: object) -> int | float:
    bound = BOUNDS_BY_NAME.get(name)
    if bound is None:
        raise FieldError(f"hyperparameters.{name}", "unknown hyperparameter; allowed: "
                         + ", ".join(BOUNDS_BY_NAME))
    where = f"hyperparameters.{name}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(where, f"must be a number; got {value!r}")
    if bound.kind is int and (isinstance(value, float) and not value.is_integer()):
        raise FieldError(where, f"must be an integer; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not bound.low <= number <= bound.high:
        raise FieldError(where, f"must be between {bound.low:g} and {bound.high:g}; "
                         f"got {value!r}")
    return int(number) if bound.kind is int else number


def check_hyperparameters(raw: object) -> dict[str, int | float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FieldError("hyperparameters", "must be an object of name: number")
    return {str(name): check_hyperparameter(str(name), value) for name, value in raw.items()}


def check_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise FieldError(field, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def training_config(kind: object, target: object, hyperparameters: object) -> dict[str, Any]:
    """The ``config`` sent to ``workers.tasks.train_model`` (checked here and by the worker)."""
    config: dict[str, Any] = {"kind": check_choice("kind", kind, MODEL_KINDS),
                              "target": check_choice("target", target, TARGETS)}
    config.update(check_hyperparameters(hyperparameters))
    return config


def defaults() -> dict[str, int | float]:
    return {b.name: (int(b.default) if b.kind is int else b.default) for b in BOUNDS}


def json_schema() -> dict[str, Any]:
    """The hyperparameters object as JSON Schema (for the OpenAPI document)."""
    properties = {}
    for b in BOUNDS:
        properties[b.name] = {"type": "integer" if b.kind is int else "number",
                              "minimum": b.low, "maximum": b.high,
                              "default": int(b.default) if b.kind is int else b.default}
    return {"type": "object", "properties": properties, "additionalProperties": False}
