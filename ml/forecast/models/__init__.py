"""Sequence models for forecasting (LSTM, GRU, LSTM with attention, ensemble).

Importing this package does not import Keras: the network code lives in submodules that load
Keras lazily through :func:`ml.forecast.models.backend.keras_module`, so ``import ml`` stays
cheap and the Celery parent process never touches JAX before it forks.
"""

from ml.forecast.models.config import (
    DEFAULT_FEATURES,
    MAX_HORIZON,
    MODEL_KINDS,
    TARGETS,
    ModelConfig,
)

__all__ = ["DEFAULT_FEATURES", "MAX_HORIZON", "MODEL_KINDS", "TARGETS", "ModelConfig"]
