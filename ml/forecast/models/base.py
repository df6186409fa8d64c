"""One interface for every model kind: fit, predict, save, load.

``SequenceModel`` wraps a Keras network that maps windows (n, L, features) to forecasts
(n, H) in scaled target units; scaling, features and intervals are the caller's business
(``ml.forecast.forecaster``). The ensemble trains its members one after another and stores them as a
single functional model that averages them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.forecast.models.backend import keras_module
from ml.forecast.models.config import ENSEMBLE_MEMBERS, ModelConfig
from ml.forecast.models.errors import TrainingCancelled
from ml.forecast.models.predictor import Predictor
from ml.forecast.models.serialization import model_from_bytes, model_to_bytes

logger = logging.getLogger(__name__)

MAX_VALIDATION_BATCH = 4096

ProgressCallback = Callable[[dict[str, Any]], None]
StopCallback = Callable[[], bool]


@dataclass
class FitHistory:
    """What happened during fit: per-epoch losses and where early stopping landed."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epochs_run: int = 0
    best_epoch: int = 0
    seconds: float = 0.0
    members: dict[str, FitHistory] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"loss": self.loss, "val_loss": self.val_loss,
                               "epochs_run": self.epochs_run, "best_epoch": self.best_epoch,
                               "seconds": round(self.seconds, 3)}
        if self.members:
            out["members"] = {k: v.to_dict() for k, v in self.members.items()}
        return out


class SequenceModel:
    """A single recurrent network (LSTM, GRU or LSTM with attention)."""

    def __init__(self, config: ModelConfig, n_features: int, network: Any = None) -> None:
        if n_features < 1:
            raise ValueError(f"n_features must be at least 1, got {n_features}")
        self.config = config
        self.n_features = n_features
        self.network = network
        self._predictor: Predictor | None = None

    # --- training ------------------------------------------------------------------------

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
            on_progress: ProgressCallback | None = None,
            should_stop: StopCallback | None = None, phase: str = "train") -> FitHistory:
        """Train from scratch (seeded by ``config.seed``) with early stopping on ``x_val``."""
        self._check_arrays(x, y, "training")
        self._check_arrays(x_val, y_val, "validation")
        self.network, history = _train_network(self.config, self.config.kind, self.n_features,
                                               x, y, x_val, y_val, self.config.seed,
                                               on_progress, should_stop, phase)
        self._predictor = None
        return history

    # --- inference and storage ----------------------------------------------------------

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(n, L, features) -> (n, H) float64, in the scaled target units used in fit."""
        if self.network is None:
            raise ValueError("model is not trained or loaded yet")
        if x.ndim != 3 or x.shape[1:] != (self.config.window_length, self.n_features):
            raise ValueError(f"windows must have shape (n, {self.config.window_length}, "
                             f"{self.n_features}), got {x.shape}")
        if self._predictor is None:
            self._predictor = Predictor(self.network)
        return self._predictor(x)

    def warm_up(self) -> None:
        """Compile the single-window path now (about 0.3 s on JAX without a warm cache)."""
        self.predict(np.zeros((1, self.config.window_length, self.n_features), np.float32))

    def save(self) -> bytes:
        if self.network is None:
            raise ValueError("model is not trained yet: nothing to save")
        return model_to_bytes(self.network)

    @classmethod
    def load(cls, data: bytes, config: ModelConfig, n_features: int) -> SequenceModel:
        network = model_from_bytes(data)
        expected = (None, config.window_length, n_features)
        if tuple(network.input_shape) != expected or network.output_shape[-1] != config.horizon:
            raise ValueError(f"stored network has input {network.input_shape} and output "
                             f"{network.output_shape}, config expects {expected} -> "
                             f"{config.horizon}")
        model_class = EnsembleModel if config.kind == "ensemble" else cls
        return model_class(config, n_features, network)

    def _check_arrays(self, x: np.ndarray, y: np.ndarray, what: str) -> None:
        shape = (self.config.window_length, self.n_features)
        if x.ndim != 3 or x.shape[1:] != shape:
            raise ValueError(f"{what} windows must have shape (n, {shape[0]}, {shape[1]}), "
                             f"got {x.shape}")
        if y.shape != (len(x), self.config.horizon):
            raise ValueError(f"{what} targets must have shape ({len(x)}, "
                             f"{self.config.horizon}), got {y.shape}")
        if len(x) < 2:
            raise ValueError(f"{what} set needs at least 2 windows, got {len(x)}")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise ValueError(f"{what} windows or targets contain NaN or infinity")


class EnsembleModel(SequenceModel):
    """LSTM, GRU and attention members trained separately, averaged in one network."""

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
            on_progress: ProgressCallback | None = None,
            should_stop: StopCallback | None = None, phase: str = "train") -> FitHistory:
        self._check_arrays(x, y, "training")
        self._check_arrays(x_val, y_val, "validation")
        started = time.perf_counter()
        members = []
        combined = FitHistory()
        for offset, kind in enumerate(ENSEMBLE_MEMBERS):
            network, history = _train_network(self.config, kind, self.n_features, x, y, x_val,
                                              y_val, self.config.seed + offset, on_progress,
                                              should_stop, f"{phase}:{kind}")
            members.append(network)
            combined.members[kind] = history
            combined.epochs_run += history.epochs_run
        self.network = _combine(members, self.config, self.n_features)
        self._predictor = None
        combined.seconds = time.perf_counter() - started
        return combined


def create_model(config: ModelConfig, n_features: int) -> SequenceModel:
    """The model class for ``config.kind``."""
    if config.kind == "ensemble":
        return EnsembleModel(config, n_features)
    return SequenceModel(config, n_features)


def _combine(members: list[Any], config: ModelConfig, n_features: int) -> Any:
    from ml.forecast.models.networks import combine_members

    return combine_members(members, config, n_features)


def _train_network(config: ModelConfig, kind: str, n_features: int, x: np.ndarray,
                   y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, seed: int,
                   on_progress: ProgressCallback | None, should_stop: StopCallback | None,
                   phase: str) -> tuple[Any, FitHistory]:
    from ml.forecast.models.networks import build_network

    keras = keras_module()
    keras.utils.set_random_seed(seed)
    network = build_network(config, n_features, kind=kind)
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=1.0)
    network.compile(optimizer=optimizer, loss="mse")
    callbacks: list[Any] = [_progress_callback(keras, config.epochs, phase, on_progress)]
    if config.early_stopping_patience > 0 or config.epochs > 1:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping_patience,
            restore_best_weights=True))
    if should_stop is not None:
        callbacks.append(_cancel_callback(keras, should_stop))
    # Whole batches only: on JAX a last, partial batch is one more XLA compilation of the
    # training step (seconds for an LSTM), and its size differs with every data set. The
    # oldest < batch_size windows are the ones left out. Validation runs as one batch.
    usable = len(x) - len(x) % config.batch_size if len(x) >= config.batch_size else len(x)
    x, y = x[len(x) - usable:], y[len(y) - usable:]
    started = time.perf_counter()
    result = network.fit(x.astype(np.float32), y.astype(np.float32),
                         validation_data=(x_val.astype(np.float32), y_val.astype(np.float32)),
                         epochs=config.epochs, batch_size=config.batch_size, shuffle=True,
                         validation_batch_size=min(len(x_val), MAX_VALIDATION_BATCH),
                         callbacks=callbacks, verbose=0)
    losses = [float(v) for v in result.history.get("loss", [])]
    val_losses = [float(v) for v in result.history.get("val_loss", [])]
    history = FitHistory(loss=losses, val_loss=val_losses, epochs_run=len(losses),
                         best_epoch=int(np.argmin(val_losses)) + 1 if val_losses else 0,
                         seconds=time.perf_counter() - started)
    logger.info("%s: %d epochs in %.1fs, best val_loss %.4f at epoch %d", phase,
                history.epochs_run, history.seconds, min(val_losses or [float("nan")]),
                history.best_epoch)
    return network, history


def _progress_callback(keras: Any, epochs: int, phase: str,
                       on_progress: ProgressCallback | None) -> Any:
    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if on_progress is None:
                return
            logs = logs or {}
            val = logs.get("val_loss")
            on_progress({"epoch": epoch + 1, "epochs": epochs, "loss": float(logs["loss"]),
                         "val_loss": None if val is None else float(val), "phase": phase})

    return Progress()


def _cancel_callback(keras: Any, should_stop: StopCallback) -> Any:
    class Cancel(keras.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if should_stop():
                raise TrainingCancelled(f"training cancelled after batch {batch + 1}")

    return Cancel()
