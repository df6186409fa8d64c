"""Drift detection: quiet while errors stay at the validation level, a flag soon after a shift."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import binom

from ml.forecast import drift

MAE_OF_STANDARD_NORMAL = math.sqrt(2 / math.pi)


def _errors(rng: np.random.Generator, bars: int, scale: float) -> np.ndarray:
    return np.abs(rng.normal(0.0, scale, bars))


@pytest.mark.parametrize("seed", range(5))
def test_page_hinkley_flags_a_tripled_error_within_twenty_bars(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sigma = 0.01
    state = drift.new_state(reference_mae=sigma * MAE_OF_STANDARD_NORMAL)
    for error in _errors(rng, 1000, sigma):  # in control: errors at the validation level
        drift.update(state, float(error))
    assert not state.flagged, state.reason
    shift_at = state.bars
    for error in _errors(rng, 200, 3 * sigma):  # the shift: errors three times as large
        drift.update(state, float(error))
        if state.flagged:
            break
    assert state.flagged
    assert state.flagged_at_bar is not None
    assert state.flagged_at_bar - shift_at <= 20
    assert state.reason.startswith("Page-Hinkley")


def test_no_false_alarm_over_long_in_control_runs() -> None:
    """20 series of 2,000 in-control bars: the default thresholds stay silent."""
    rng = np.random.default_rng(123)
    for _ in range(20):
        state = drift.new_state(reference_mae=MAE_OF_STANDARD_NORMAL)
        for error in _errors(rng, 2000, 1.0):
            drift.update(state, float(error))
        assert not state.flagged, state.reason


def test_coverage_collapse_is_flagged_while_errors_look_normal() -> None:
    """Bands that stop covering (30% instead of 80%) flag even with ordinary point errors."""
    rng = np.random.default_rng(5)
    config = drift.DriftConfig(coverage_window=50)
    state = drift.new_state(reference_mae=MAE_OF_STANDARD_NORMAL, coverage_level=0.8)
    for error in _errors(rng, 300, 1.0):
        drift.update(state, float(error), inside_interval=bool(rng.random() < 0.8),
                     config=config)
    assert not state.flagged, state.reason
    start = state.bars
    for error in _errors(rng, 100, 1.0):
        drift.update(state, float(error), inside_interval=bool(rng.random() < 0.3),
                     config=config)
        if state.flagged:
            break
    assert state.flagged and state.reason.startswith("coverage")
    assert state.flagged_at_bar is not None and state.flagged_at_bar - start <= 30


def test_state_survives_a_json_round_trip_and_the_flag_is_sticky() -> None:
    state = drift.new_state(reference_mae=1.0)
    for _ in range(30):
        drift.update(state, 5.0)
    assert state.flagged
    again = drift.DriftState.from_dict(json.loads(json.dumps(state.to_dict())))
    drift.update(again, 0.0)
    assert again.flagged and again.flagged_at_bar == state.flagged_at_bar


@pytest.mark.parametrize(("n", "p", "alpha"), [(50, 0.8, 0.01), (100, 0.95, 0.05),
                                               (20, 0.5, 0.1)])
def test_binomial_lower_bound_matches_scipy(n: int, p: float, alpha: float) -> None:
    k = drift.binomial_lower_bound(n, p, alpha)
    assert binom.cdf(k - 1, n, p) <= alpha < binom.cdf(k, n, p)


@pytest.mark.parametrize("bad", [{"delta": -1}, {"threshold": 0}, {"coverage_window": 3},
                                 {"coverage_alpha": 0.7}, {"min_bars": 0}])
def test_bad_config_names_the_value(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        drift.DriftConfig(**bad)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="reference_mae"):
        drift.new_state(0.0)
    with pytest.raises(ValueError, match="abs_error"):
        drift.update(drift.new_state(1.0), float("nan"))
    with pytest.raises(ValueError, match="unknown drift config keys: nope"):
        drift.DriftConfig.from_dict({"nope": 1})
