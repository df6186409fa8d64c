"""Forecasting: features, datasets, models, training, out-of-sample evaluation, the model
registry, stored forecasts and drift.

Other packages import from here only; the submodules are this package's own business.
"""

from typing import TYPE_CHECKING

from ml.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "drift": ("drift", "DriftConfig"),
    "registry": ("registry", "RegistryError", "active_version", "get_version", "list_versions"),
    "evaluation": ("evaluate", "predict_split", "walk_forward"),
    "models.config": ("MODEL_KINDS", "TARGETS", "ModelConfig"),
    "models.errors": ("InsufficientHistoryError", "TrainingCancelled"),
    "pipeline": ("backtest_model", "default_engine", "predict_active", "train_model"),
    "store": ("build_payload", "forecast_history", "latest_forecast", "save_forecast"),
    "training": ("fit_forecaster",),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ml.forecast import drift as drift, registry as registry
    from ml.forecast.drift import DriftConfig as DriftConfig
    from ml.forecast.evaluation import (
        evaluate as evaluate,
        predict_split as predict_split,
        walk_forward as walk_forward,
    )
    from ml.forecast.models.config import (
        MODEL_KINDS as MODEL_KINDS,
        TARGETS as TARGETS,
        ModelConfig as ModelConfig,
    )
    from ml.forecast.models.errors import (
        InsufficientHistoryError as InsufficientHistoryError,
        TrainingCancelled as TrainingCancelled,
    )
    from ml.forecast.pipeline import (
        backtest_model as backtest_model,
        default_engine as default_engine,
        predict_active as predict_active,
        train_model as train_model,
    )
    from ml.forecast.registry import (
        RegistryError as RegistryError,
        active_version as active_version,
        get_version as get_version,
        list_versions as list_versions,
    )
    from ml.forecast.store import (
        build_payload as build_payload,
        forecast_history as forecast_history,
        latest_forecast as latest_forecast,
        save_forecast as save_forecast,
    )
    from ml.forecast.training import fit_forecaster as fit_forecaster
