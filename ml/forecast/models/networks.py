"""Keras network builders, one per model kind, from built-in layers only.

Only built-in layers are used (no Lambda, no custom layers), so a saved model loads with Keras'
safe mode and no code from the database is ever executed.
"""

from __future__ import annotations

from typing import Any

from ml.forecast.models.backend import keras_module
from ml.forecast.models.config import ModelConfig


def build_network(config: ModelConfig, n_features: int, kind: str | None = None,
                  name: str | None = None) -> Any:
    """An uncompiled ``keras.Model`` mapping (batch, L, features) to (batch, H)."""
    keras = keras_module()
    kind = kind or config.kind
    inputs = keras.Input(shape=(config.window_length, n_features), name="window")
    if kind in ("lstm", "gru"):
        outputs = _recurrent_head(keras, config, inputs, kind)
    elif kind == "attention":
        outputs = _attention_head(keras, config, inputs)
    else:
        raise ValueError(f"build_network: kind must be lstm, gru or attention, got {kind!r}")
    return keras.Model(inputs, outputs, name=name or kind)


def layer_widths(config: ModelConfig) -> list[int]:
    """Recurrent layer widths: ``units`` first, each further layer half as wide (64, 32)."""
    return [max(config.units // 2**i, 1) for i in range(config.layers)]


def _stack(keras: Any, config: ModelConfig, x: Any, kind: str, last_sequences: bool) -> Any:
    layer_class = keras.layers.LSTM if kind != "gru" else keras.layers.GRU
    for i, width in enumerate(layer_widths(config)):
        sequences = last_sequences or i < config.layers - 1
        x = layer_class(width, return_sequences=sequences, name=f"{kind}_{i}")(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    return x


def _recurrent_head(keras: Any, config: ModelConfig, inputs: Any, kind: str) -> Any:
    x = _stack(keras, config, inputs, kind, last_sequences=False)
    return keras.layers.Dense(config.horizon, name="forecast")(x)


def _attention_head(keras: Any, config: ModelConfig, inputs: Any) -> Any:
    """LSTM states attended by the last state (dot-product attention), then a dense head."""
    sequence = _stack(keras, config, inputs, "lstm", last_sequences=True)
    last = keras.layers.Cropping1D((config.window_length - 1, 0), name="last_state")(sequence)
    context = keras.layers.Attention(use_scale=True, name="attention")([last, sequence])
    merged = keras.layers.Concatenate(name="merge")([
        keras.layers.Flatten(name="flat_last")(last),
        keras.layers.Flatten(name="flat_context")(context),
    ])
    return keras.layers.Dense(config.horizon, name="forecast")(merged)


def combine_members(members: list[Any], config: ModelConfig, n_features: int) -> Any:
    """One functional model that averages the members' forecasts (saved as one file)."""
    keras = keras_module()
    inputs = keras.Input(shape=(config.window_length, n_features), name="window")
    outputs = keras.layers.Average(name="ensemble_mean")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name="ensemble")
