"""The registry's contents and ``compute``'s validation: clear errors, never silent garbage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ml.analytics.indicators import REGISTRY, compute, compute_many, get_spec
from tests.conftest import make_ohlcv

ISSUE_INDICATORS = {"sma", "ema", "wma", "rsi", "macd", "stoch", "bbands", "atr", "obv", "adx",
                    "cci", "mfi", "willr", "roc", "sar", "vwap", "ichimoku", "log_return",
                    "simple_return", "volatility"}
FAMILIES = {"overlays", "oscillators", "trend", "volatility", "volume", "returns"}


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return make_ohlcv(300, seed=3)


def test_registry_lists_every_indicator_of_the_issue() -> None:
    assert len(REGISTRY) >= 18
    assert ISSUE_INDICATORS <= set(REGISTRY)
    assert {spec.family for spec in REGISTRY.values()} == FAMILIES


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        REGISTRY["evil"] = REGISTRY["sma"]  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_spec_matches_what_compute_returns(name: str, bars: pd.DataFrame) -> None:
    spec = REGISTRY[name]
    out = compute(bars, name)
    assert list(out.columns) == spec.columns()
    assert out.index.equals(bars.index)
    assert (out.dtypes == np.float64).all()
    # warm-up: exactly spec.warmup rows where some output is still NaN, none after
    causal = [c for c, o in zip(out.columns, spec.outputs, strict=True) if not o.uses_future]
    defined = out[causal].notna().all(axis=1).to_numpy()
    warmup = spec.warmup(spec.defaults)
    assert not defined[:warmup].any()
    assert defined[warmup:].all()
    # declared ranges hold
    for column, output in zip(out.columns, spec.outputs, strict=True):
        if output.value_range is not None:
            low, high = output.value_range
            values = out[column].dropna()
            assert values.between(low - 1e-9, high + 1e-9).all(), column
    # overlay outputs are in price units; the spec-level flag agrees with its outputs
    assert spec.overlay == any(o.overlay for o in spec.outputs)
    for output in spec.outputs:
        assert output.overlay == (output.units == "price"), output.key


def test_registry_is_json_listable() -> None:
    listed = json.loads(json.dumps([spec.to_dict() for spec in REGISTRY.values()],
                                   allow_nan=False))
    rsi = next(item for item in listed if item["name"] == "rsi")
    assert rsi["value_range"] == [0.0, 100.0]
    assert rsi["params"][0] == {"name": "period", "kind": "int", "default": 14, "minimum": 2,
                                "maximum": 100_000, "choices": None,
                                "description": "bars in the window"}
    assert rsi["columns"] == ["rsi_14"] and rsi["min_bars"] == 15
    ichimoku = next(item for item in listed if item["name"] == "ichimoku")
    assert [o["uses_future"] for o in ichimoku["outputs"]] == [False] * 4 + [True]


def test_unknown_indicator_lists_the_known_ones(bars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"unknown indicator 'rsx'; known: .*rsi.*sma"):
        compute(bars, "rsx")


@pytest.mark.parametrize(("name", "params", "message"), [
    ("rsi", {"period": 0}, r"rsi: parameter 'period' must be in \[2, 100000\]; got 0"),
    ("sma", {"period": 0}, r"sma: parameter 'period' must be in \[1, 100000\]; got 0"),
    ("sma", {"period": -5}, r"must be in \[1, 100000\]; got -5"),
    ("rsi", {"period": 14.5}, r"'period' must be an integer; got 14.5"),
    ("rsi", {"period": True}, r"'period' must be a number; got True"),
    ("rsi", {"period": "14"}, r"'period' must be a number; got '14'"),
    ("rsi", {"window": 14}, r"rsi: unknown parameter\(s\) window; allowed: period"),
    ("obv", {"period": 3}, r"obv: unknown parameter\(s\) period; allowed: none"),
    ("macd", {"fast": 26, "slow": 12}, r"macd: fast \(26\) must be shorter than slow \(12\)"),
    ("sar", {"acceleration": 0.3, "maximum": 0.2}, r"must not exceed maximum"),
    ("bbands", {"stddev": float("nan")}, r"'stddev' must be finite"),
    ("bbands", {"stddev": 0.0}, r"'stddev' must be in \[0.1, 10\]"),
    ("vwap", {"anchor": "week"}, r"'anchor' must be one of auto, session, cumulative"),
])
def test_bad_parameters_are_named(bars: pd.DataFrame, name: str, params: dict,
                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute(bars, name, **params)


def test_numpy_integers_are_accepted(bars: pd.DataFrame) -> None:
    assert list(compute(bars, "rsi", period=np.int64(7)).columns) == ["rsi_7"]


@pytest.mark.parametrize(("name", "params", "needed"), [
    ("rsi", {}, 15), ("macd", {}, 34), ("ichimoku", {}, 78), ("sma", {"period": 200}, 200),
    ("obv", {}, 1),
])
def test_too_few_bars_for_the_warm_up(name: str, params: dict, needed: int) -> None:
    short = make_ohlcv(needed - 1)
    if needed > 1:
        with pytest.raises(ValueError, match=rf"needs at least {needed} bars .*got {needed - 1}"):
            compute(short, name, **params)
    enough = make_ohlcv(needed)
    assert compute(enough, name, **params).notna().any().any()


def test_bad_bars_are_rejected(bars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="lack column"):
        compute(bars.drop(columns="volume"), "obv")
    with pytest.raises(ValueError, match="strictly increasing"):
        compute(bars.iloc[::-1], "sma")
    holed = bars.copy()
    holed.iloc[50, holed.columns.get_loc("close")] = np.nan
    with pytest.raises(ValueError, match=r"'close' has a missing or infinite value at 2020-02-20"):
        compute(holed, "sma")
    negative = bars.copy()
    negative.iloc[10, negative.columns.get_loc("close")] = -1.0
    assert compute(negative, "sma").notna().any().any()  # a moving average is still defined
    with pytest.raises(ValueError, match="non-positive price"):
        compute(negative, "log_return")
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        compute(bars["close"], "sma")  # type: ignore[arg-type]


def test_vwap_needs_a_datetime_index(bars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="DatetimeIndex"):
        compute(bars.reset_index(drop=True), "vwap")


def test_compute_many_joins_columns(bars: pd.DataFrame) -> None:
    out = compute_many(bars, ["rsi", ("sma", {"period": 5}), ("bbands", {"stddev": 2.5})])
    assert list(out.columns[:2]) == ["rsi_14", "sma_5"]
    assert "bb_upper_20_2.5" in out.columns
    pd.testing.assert_series_equal(out["sma_5"], compute(bars, "sma", period=5)["sma_5"])
    same = compute_many(bars, ["rsi", ("rsi", {"period": 14}), ("rsi", {"period": 7})])
    assert list(same.columns) == ["rsi_14", "rsi_7"]
    with pytest.raises(ValueError, match="unknown indicator"):
        compute_many(bars, ["rsi", "nope"])
    with pytest.raises(ValueError, match="no indicators requested"):
        compute_many(bars, [])


def test_get_spec_and_min_bars() -> None:
    assert get_spec("macd").min_bars({"slow": 30, "signal": 5}) == 34
    assert get_spec("ichimoku").min_bars({"displacement": 0}) == 52


def test_parse_requests() -> None:
    from ml.analytics.indicators import parse_request, parse_requests

    assert parse_request(" macd:fast=8:slow=21 ") == ("macd", {"fast": 8, "slow": 21})
    assert parse_request("bbands:stddev=2.5") == ("bbands", {"stddev": 2.5})
    assert parse_request("vwap:anchor=session") == ("vwap", {"anchor": "session"})
    assert parse_requests("rsi,obv") == [("rsi", {}), ("obv", {})]
    with pytest.raises(ValueError, match=r"obv: bad parameter 'period=3'.*allowed: none"):
        parse_request("obv:period=3")
    with pytest.raises(ValueError, match=r"bad parameter 'period'"):
        parse_request("rsi:period")
    with pytest.raises(ValueError, match=r"must be shorter than slow"):
        parse_request("macd:fast=40")


def test_docs_table_lists_every_indicator_with_its_defaults() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "indicators.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in docs.splitlines()
            if line.startswith("| `")}
    assert set(REGISTRY) <= set(rows)
    for name, spec in REGISTRY.items():
        for param in spec.params:
            assert f"{param.name}={param.default}" in rows[name], (name, param.name)
