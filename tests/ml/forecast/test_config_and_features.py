"""Model configuration checks and the causal, scale-free feature set (no Keras needed)."""

from __future__ import annotations

import numpy as np
import pytest

from ml.forecast.features import compute_features, feature_matrix, parse_feature
from ml.forecast.models import DEFAULT_FEATURES, ModelConfig
from tests.conftest import make_ohlcv


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "transformer"}, "kind must be one of"),
    ({"horizon": 0}, "horizon must be between 1 and 60, got 0"),
    ({"horizon": 61}, "horizon must be between 1 and 60, got 61"),
    ({"window_length": 1}, "window_length must be between"),
    ({"units": 0}, "units must be between 1 and 1024, got 0"),
    ({"layers": 2.5}, "layers must be an integer, got 2.5"),
    ({"dropout": 1.0}, "dropout must be in [0.0, 1.0), got 1.0"),
    ({"learning_rate": 0}, "learning_rate must be in (0.0, 1.0], got 0"),
    ({"batch_size": True}, "batch_size must be an integer, got True"),
    ({"epochs": -3}, "epochs must be between 1 and 10000, got -3"),
    ({"early_stopping_patience": -1}, "early_stopping_patience must be between"),
    ({"seed": -1}, "seed must be between"),
    ({"target": "price"}, "target must be one of returns, volatility, got 'price'"),
    ({"features": ()}, "features must name at least one feature"),
    ({"features": ("rsi_14", "wiggle")}, "unknown feature 'wiggle'"),
    ({"features": ("rsi_14", "rsi_14")}, "feature 'rsi_14' is listed twice"),
    ({"features": ("log_return_5",)}, "takes no window"),
    ({"features": ("rsi_1",)}, "window must be between 2 and 500"),
])
def test_config_rejects_bad_values_naming_them(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=_escape(message)):
        ModelConfig(**changes)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def test_config_round_trips_through_a_dict() -> None:
    config = ModelConfig(kind="gru", horizon=10, features=("log_return", "rsi_7"))
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown model config keys: colour"):
        ModelConfig.from_dict({**config.to_dict(), "colour": "red"})


def test_feature_names_parse_with_default_windows() -> None:
    assert parse_feature("rsi") == ("rsi", 14)
    assert parse_feature("sma_gap_50") == ("sma_gap", 50)
    assert parse_feature("log_return") == ("log_return", None)


def test_features_are_causal_a_row_does_not_change_when_later_bars_arrive() -> None:
    bars = make_ohlcv(400, seed=3)
    names = [*DEFAULT_FEATURES, "atr_pct_14", "adx_14", "momentum_10"]
    full = feature_matrix(bars, names)
    for cut in (120, 250, 399):
        partial = feature_matrix(bars.iloc[: cut + 1], names)
        np.testing.assert_array_equal(partial, full[: cut + 1])


def test_features_are_scale_free() -> None:
    bars = make_ohlcv(300, seed=5)
    scaled = bars.copy()
    scaled[["open", "high", "low", "close"]] *= 1000.0
    scaled["volume"] *= 7.0
    a = compute_features(bars, DEFAULT_FEATURES)
    b = compute_features(scaled, DEFAULT_FEATURES)
    prices = [n for n in DEFAULT_FEATURES if not n.startswith("volume")]
    np.testing.assert_allclose(a[prices].to_numpy(), b[prices].to_numpy(), rtol=1e-9,
                               atol=1e-12)
    # log1p(volume) keeps zero volumes finite, so a volume rescale is near-invariant only.
    np.testing.assert_allclose(a["volume_z_20"], b["volume_z_20"], atol=1e-4)


def test_features_match_their_definitions() -> None:
    bars = make_ohlcv(200, seed=9)
    frame = compute_features(bars, ["log_return", "realized_vol_20", "rsi_14", "hl_range"])
    close = bars["close"].to_numpy()
    returns = np.diff(np.log(close))
    assert frame["log_return"].iloc[50] == pytest.approx(returns[49])
    assert frame["realized_vol_20"].iloc[50] == pytest.approx(
        np.sqrt(np.mean(returns[30:50] ** 2)))
    assert frame["hl_range"].iloc[10] == pytest.approx(
        np.log(bars["high"].iloc[10] / bars["low"].iloc[10]))
    rsi = frame["rsi_14"].dropna()
    assert (rsi >= -1).all() and (rsi <= 1).all()


def test_constant_volume_gives_a_zero_z_score_not_nan() -> None:
    bars = make_ohlcv(100, seed=1)
    bars["volume"] = 0.0
    z = compute_features(bars, ["volume_z_20"])["volume_z_20"]
    assert (z.iloc[20:] == 0).all()


def test_non_positive_close_is_rejected() -> None:
    bars = make_ohlcv(50)
    bars.iloc[10, bars.columns.get_loc("close")] = 0.0
    with pytest.raises(ValueError, match="non-positive close"):
        feature_matrix(bars, ["log_return"])


def test_each_further_recurrent_layer_is_half_as_wide() -> None:
    from ml.forecast.models.networks import layer_widths

    assert layer_widths(ModelConfig()) == [64, 32]
    assert layer_widths(ModelConfig(units=48, layers=3)) == [48, 24, 12]
    assert layer_widths(ModelConfig(units=2, layers=3)) == [2, 1, 1]
