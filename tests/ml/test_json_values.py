"""``json_safe``: the one JSON cleaner every report, API answer and job result goes through."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ml.json_values import json_safe


def test_gaps_become_null_and_numpy_becomes_python() -> None:
    value = {"nan": np.float64("nan"), "inf": float("inf"), "minus_inf": -np.inf,
             "int": np.int64(3), "flag": np.bool_(True), "array": np.array([1.5, np.nan]),
             "nested": [(1, float("nan")), {"x": np.float32(0.5)}]}
    cleaned = json_safe(value)
    assert cleaned == {"nan": None, "inf": None, "minus_inf": None, "int": 3, "flag": True,
                       "array": [1.5, None], "nested": [[1, None], {"x": 0.5}]}
    assert type(cleaned["int"]) is int and type(cleaned["flag"]) is bool
    json.dumps(cleaned, allow_nan=False)  # strict JSON


def test_times_are_iso_8601_in_utc_and_keys_are_strings() -> None:
    cleaned = json_safe({1: datetime(2024, 1, 2, 3, 4),
                         "aware": pd.Timestamp("2024-01-02", tz="UTC"),
                         "day": date(2024, 1, 2), "missing": pd.NaT})
    assert cleaned == {"1": "2024-01-02T03:04:00+00:00", "aware": "2024-01-02T00:00:00+00:00",
                       "day": "2024-01-02", "missing": None}
    assert datetime.fromisoformat(cleaned["1"]).tzinfo == UTC


def test_an_unexpected_type_is_left_for_the_encoder_to_refuse() -> None:
    assert isinstance(json_safe({"path": Path("/tmp")})["path"], Path)
