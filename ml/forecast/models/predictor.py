"""Fast inference: a jitted stateless call with a few fixed (padded) batch sizes.

On JAX, ``model(x)`` in a loop retraces every call and ``model.predict`` recompiles for every
new batch size (about 270 ms each). We jit ``stateless_call`` once per bucket size and pad
requests up to the next bucket, so any number of windows costs at most four compilations.
Other backends fall back to ``model.predict``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ml.forecast.models.backend import keras_module

logger = logging.getLogger(__name__)

BUCKETS = (1, 16, 128, 1024)


class Predictor:
    """Callable (n, L, features) float32 -> (n, H) float64 for a built Keras model."""

    def __init__(self, model: Any) -> None:
        keras = keras_module()
        self._model = model
        self._jax = keras.backend.backend() == "jax"
        if self._jax:
            import jax

            self._trainable = [v.value for v in model.trainable_variables]
            self._non_trainable = [v.value for v in model.non_trainable_variables]

            def call(trainable: Any, non_trainable: Any, x: Any) -> Any:
                outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
                return outputs

            self._call = jax.jit(call)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        x = np.asarray(windows, dtype=np.float32)
        if x.ndim != 3:
            raise ValueError(f"windows must be (n, window_length, features), got {x.shape}")
        if len(x) == 0:
            return np.empty((0, int(self._model.output_shape[-1])))
        if not self._jax:
            return np.asarray(self._model.predict(x, verbose=0, batch_size=BUCKETS[-1]),
                              dtype=np.float64)
        parts = [self._run(x[i:i + BUCKETS[-1]]) for i in range(0, len(x), BUCKETS[-1])]
        return np.concatenate(parts).astype(np.float64)

    def warm_up(self, sizes: tuple[int, ...] = (1,)) -> None:
        """Compile the given bucket sizes now rather than on first use."""
        shape = tuple(int(d) for d in self._model.input_shape[1:])
        for size in sizes:
            self(np.zeros((size, *shape), dtype=np.float32))

    def _run(self, chunk: np.ndarray) -> np.ndarray:
        rows = len(chunk)
        size = next(b for b in BUCKETS if b >= rows)
        if size != rows:
            padded = np.zeros((size, *chunk.shape[1:]), dtype=np.float32)
            padded[:rows] = chunk
            chunk = padded
        return np.asarray(self._call(self._trainable, self._non_trainable, chunk))[:rows]
