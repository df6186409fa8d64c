"""Fixtures for the forecasting tests: sample bars loaded once, tiny model configs.

Training runs here are tiny (one small recurrent layer, short windows, two or three epochs) so
the whole folder runs in well under a minute on two cores; they test behaviour, not skill.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

# Identical tiny networks compile to identical XLA programs: share them across tests (and
# runs) through JAX's on-disk cache. Must be set before Keras is first imported.
os.environ.setdefault("FORESIGHT_JAX_CACHE_DIR",
                      str(Path(tempfile.gettempdir()) / "foresight-test-jax-cache"))

from ml.db import make_engine, upgrade_to_head  # noqa: E402
from ml.forecast.models import ModelConfig  # noqa: E402
from tests.conftest import make_ohlcv  # noqa: E402

# One shape for (nearly) every test: identical networks share their compiled XLA programs.
TINY = dict(window_length=12, units=6, layers=1, dropout=0.0, batch_size=128, epochs=3,
            early_stopping_patience=2, horizon=5, seed=7)


def tiny_config(**changes: object) -> ModelConfig:
    return ModelConfig(**{**TINY, **changes})


@pytest.fixture(scope="session")
def sample_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('samples') / 'samples.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def spx_bars(sample_engine: Engine) -> pd.DataFrame:
    from ml.data import load_bars

    return load_bars("sample:SPX", "1d", engine=sample_engine).bars


@pytest.fixture(scope="session")
def eurusd_bars(sample_engine: Engine) -> pd.DataFrame:
    from ml.data import load_bars

    return load_bars("sample:EURUSD", "1h", engine=sample_engine).bars


@pytest.fixture(scope="session")
def random_walk_bars() -> pd.DataFrame:
    return make_ohlcv(5000, seed=11)
