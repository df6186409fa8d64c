"""The model interface: every kind fits, predicts, saves and loads to identical predictions;
training reports progress per epoch, can be cancelled between batches, and is reproducible."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from ml.forecast.models.base import SequenceModel, create_model
from ml.forecast.models.errors import TrainingCancelled
from tests.ml.forecast.conftest import tiny_config

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")


def _data(rows: int = 300, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Windows (rows, 12, 8) whose 5 targets depend on the last steps, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 12, 8)).astype(np.float32)
    y = np.stack([x[:, -1, 0] * 0.5, x[:, -2, 1] * 0.3, x[:, -1, 2] * 0.1,
                  x[:, -1, 3] * 0.4, x[:, -3, 4] * 0.2], axis=1)
    y = (y + rng.normal(0, 0.1, y.shape)).astype(np.float32)
    split = rows - 60
    return x[:split], y[:split], x[split:], y[split:]


@pytest.mark.parametrize(("kind", "changes"), [
    ("lstm", {"layers": 2, "dropout": 0.1}),  # stacked, with Dropout (Identity on load)
    ("gru", {}), ("attention", {}), ("ensemble", {})])
def test_each_kind_fits_predicts_and_reloads_identically(kind: str, changes: dict) -> None:
    config = tiny_config(kind=kind, epochs=2, **changes)
    x, y, x_val, y_val = _data()
    model = create_model(config, n_features=8)
    history = model.fit(x, y, x_val, y_val)
    assert history.epochs_run >= 1
    before = model.predict(x_val)
    assert before.shape == (60, 5) and np.isfinite(before).all()
    data = model.save()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert set(archive.namelist()) <= {"config.json", "metadata.json", "model.weights.h5"}
        assert "Lambda" not in json.dumps(json.loads(archive.read("config.json")))
    loaded = SequenceModel.load(data, config, n_features=8)
    np.testing.assert_array_equal(loaded.predict(x_val), before)
    # single windows and odd batch sizes go through padded buckets, same numbers
    np.testing.assert_allclose(loaded.predict(x_val[:1]), before[:1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loaded.predict(x_val[:17]), before[:17], rtol=1e-6, atol=1e-7)


def test_training_learns_a_learnable_signal() -> None:
    config = tiny_config(epochs=30, early_stopping_patience=5, learning_rate=0.005)
    x, y, x_val, y_val = _data(rows=1100, seed=1)
    model = create_model(config, n_features=8)
    history = model.fit(x, y, x_val, y_val)
    mse = float(np.mean((model.predict(x_val) - y_val) ** 2))
    assert mse < 0.5 * float(np.mean(y_val**2))
    assert history.val_loss[history.best_epoch - 1] == min(history.val_loss)


def test_progress_is_reported_every_epoch() -> None:
    config = tiny_config(epochs=3, early_stopping_patience=10)
    seen: list[dict] = []
    create_model(config, 8).fit(*_data(), on_progress=seen.append)
    assert [s["epoch"] for s in seen] == [1, 2, 3]
    assert all(set(s) == {"epoch", "epochs", "loss", "val_loss", "phase"} for s in seen)
    assert seen[0]["epochs"] == 3 and seen[0]["phase"] == "train"
    assert all(s["loss"] > 0 and s["val_loss"] > 0 for s in seen)


def test_should_stop_cancels_between_batches() -> None:
    config = tiny_config(epochs=50, batch_size=16)
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] >= 4

    with pytest.raises(TrainingCancelled, match="after batch 4"):
        create_model(config, 8).fit(*_data(), should_stop=should_stop)
    assert calls["n"] == 4  # stopped in the first epoch (15 batches), not at its end


def test_same_seed_same_model_different_seed_different_model() -> None:
    data = _data()
    first = create_model(tiny_config(), 8)
    first.fit(*data)
    second = create_model(tiny_config(), 8)
    second.fit(*data)
    np.testing.assert_allclose(first.predict(data[2]), second.predict(data[2]), atol=1e-6)
    other = create_model(tiny_config(seed=8), 8)
    other.fit(*data)
    assert not np.allclose(first.predict(data[2]), other.predict(data[2]), atol=1e-6)


def test_bad_shapes_and_untrained_models_raise_value_errors() -> None:
    config = tiny_config()
    x, y, x_val, y_val = _data()
    model = create_model(config, 8)
    with pytest.raises(ValueError, match="not trained"):
        model.predict(x)
    with pytest.raises(ValueError, match=r"training windows must have shape \(n, 12, 8\)"):
        model.fit(x[:, :5], y, x_val, y_val)
    with pytest.raises(ValueError, match=r"validation targets must have shape \(60, 5\)"):
        model.fit(x, y, x_val, y_val[:, :2])
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y, x_val, y_val)
    with pytest.raises(ValueError, match="n_features must be at least 1"):
        create_model(config, 0)
