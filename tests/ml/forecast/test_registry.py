"""The registry: versions with everything needed to trust and reload a model, one active per
symbol and interval, promote and roll back, tamper detection, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update

from ml.db.schema import active_models, model_versions
from ml.forecast import registry
from ml.forecast.evaluation import evaluate
from ml.forecast.training import TrainingResult, fit_forecaster
from ml.json_values import json_safe
from tests.conftest import make_ohlcv
from tests.ml.forecast.conftest import tiny_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_ohlcv(1200, seed=21)


@pytest.fixture(scope="module")
def trained(bars: pd.DataFrame) -> TrainingResult:
    return fit_forecaster(bars, tiny_config(epochs=2))


@pytest.fixture(scope="module")
def metrics(trained: TrainingResult) -> dict:
    return json_safe(evaluate(trained))


def _register(engine: Engine, trained: TrainingResult, bars: pd.DataFrame, metrics: dict,
              promote: bool = True) -> registry.VersionInfo:
    return registry.register(engine, trained.forecaster, symbol="sample:TEST", interval="1d",
                             bars=bars, metrics=metrics, promote=promote)


@pytest.mark.postgres
def test_a_version_stores_everything_and_reloads_to_the_same_forecast(
        any_engine: Engine, trained: TrainingResult, bars: pd.DataFrame, metrics: dict) -> None:
    info = _register(any_engine, trained, bars, metrics)
    assert (info.version, info.active, info.kind, info.target) == (1, True, "lstm", "returns")
    assert info.config == trained.forecaster.config.to_dict()
    assert info.features == list(trained.forecaster.config.features)
    assert info.data_first == bars.index[0] and info.data_last == bars.index[-1]
    assert info.data_rows == 1200 and info.data_hash == registry.data_hash(bars)
    assert info.code_version.startswith("0.1.0")
    assert info.metrics["summary"] == metrics["summary"]
    assert set(info.metrics["horizons"]["1"]["baselines"]) == {"random_walk", "drift",
                                                               "moving_average"}
    loaded = registry.load_forecaster(any_engine, info.id)
    original = trained.forecaster.forecast(bars)
    again = loaded.forecast(bars)
    np.testing.assert_array_equal(again.prices, original.prices)
    assert again.bands == original.bands
    with any_engine.connect() as connection:
        state = connection.execute(select(model_versions.c.state_json)).scalar_one()
    assert set(json.loads(state)) >= {"feature_scaler", "target_scaler", "conformal", "config"}


@pytest.mark.postgres
def test_one_active_version_promote_and_rollback(
        any_engine: Engine, trained: TrainingResult, bars: pd.DataFrame, metrics: dict) -> None:
    v1 = _register(any_engine, trained, bars, metrics)
    v2 = _register(any_engine, trained, bars, metrics)
    v3 = _register(any_engine, trained, bars, metrics, promote=False)
    assert [v1.version, v2.version, v3.version] == [1, 2, 3]
    assert registry.active_version(any_engine, "sample:TEST", "1d").id == v2.id
    assert not v3.active
    registry.promote(any_engine, v3.id)
    assert registry.active_version(any_engine, "sample:TEST", "1d").id == v3.id
    assert registry.rollback(any_engine, "sample:TEST", "1d").id == v2.id
    assert registry.rollback(any_engine, "sample:TEST", "1d").id == v1.id
    with pytest.raises(registry.RegistryError, match="nothing to roll back to"):
        registry.rollback(any_engine, "sample:TEST", "1d")
    with any_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(active_models)).scalar() == 1
    listed = registry.list_versions(any_engine, "sample:TEST")
    assert [v.id for v in listed] == [v3.id, v2.id, v1.id]
    assert [v.active for v in listed] == [False, False, True]


def test_missing_models_and_versions_are_clear_errors(engine: Engine) -> None:
    with pytest.raises(registry.RegistryError, match="no active model for sample:X at 1h"):
        registry.active_version(engine, "sample:X", "1h")
    with pytest.raises(registry.RegistryError, match="no model version with id 99"):
        registry.promote(engine, 99)
    with pytest.raises(registry.RegistryError, match="no active model"):
        registry.rollback(engine, "sample:X", "1h")


def test_non_finite_metrics_are_stored_as_null(engine: Engine, trained: TrainingResult,
                                               bars: pd.DataFrame, metrics: dict) -> None:
    info = _register(engine, trained, bars, {**metrics, "odd": [float("nan"), float("inf")]})
    assert registry.get_version(engine, info.id).metrics["odd"] == [None, None]


def test_tampered_bytes_are_refused(engine: Engine, trained: TrainingResult,
                                    bars: pd.DataFrame, metrics: dict) -> None:
    info = _register(engine, trained, bars, metrics)
    with engine.begin() as connection:
        data = connection.execute(select(model_versions.c.keras_bytes)).scalar_one()
        connection.execute(update(model_versions).values(keras_bytes=data[:-10] + b"0" * 10))
    with pytest.raises(registry.RegistryError, match="fail their checksum"):
        registry.load_forecaster(engine, info.id)


def test_stored_archive_holds_no_pickles_or_code(engine: Engine, trained: TrainingResult,
                                                 bars: pd.DataFrame, metrics: dict) -> None:
    import io
    import zipfile

    _register(engine, trained, bars, metrics)
    with engine.connect() as connection:
        row = connection.execute(select(model_versions.c.keras_bytes,
                                        model_versions.c.keras_sha256)).one()
    assert hashlib.sha256(row.keras_bytes).hexdigest() == row.keras_sha256
    with zipfile.ZipFile(io.BytesIO(row.keras_bytes)) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json",
                                              "model.weights.h5"]
        config = archive.read("config.json").decode()
    assert "Lambda" not in config and "__lambda__" not in config
