"""Properties that must hold for any bars and any valid parameters (hypothesis).

* the output keeps the input's index and length;
* no look-ahead: computing on a prefix gives exactly the same rows as computing on the whole
  series (bit for bit: the same operations run in the same order). Ichimoku's chikou span is
  the close *ahead* of each row by definition, so for it the honest property is different:
  on a prefix it equals the whole series' value wherever the bar it reads exists in the
  prefix, and is NaN on the prefix's last ``displacement`` rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ml.analytics.indicators import REGISTRY, compute
from ml.analytics.indicators.base import IndicatorSpec, Param
from tests.conftest import make_ohlcv

PROPERTY_SETTINGS = settings(max_examples=15, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])
NAMES = sorted(REGISTRY)
SMALL_PERIOD = 30  # keep generated windows small so examples stay fast


def param_strategy(param: Param) -> st.SearchStrategy[object]:
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    low = param.minimum if param.minimum is not None else 0
    if param.kind == "int":
        return st.integers(int(low), max(int(low), SMALL_PERIOD))
    high = min(param.maximum if param.maximum is not None else 1.0, 5.0)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def indicator_call(draw: st.DrawFn, name: str) -> tuple[IndicatorSpec, dict[str, object],
                                                        pd.DataFrame, int]:
    """Valid parameters for indicator ``name``, bars long enough, and a prefix length."""
    spec = REGISTRY[name]
    params: dict[str, object] = {p.name: draw(param_strategy(p)) for p in spec.params}
    if spec.name == "macd":
        params["slow"] = max(int(params["slow"]), int(params["fast"]) + 1)
    if spec.name == "sar":
        params["maximum"] = max(float(params["maximum"]), float(params["acceleration"]))
    needed = spec.min_bars(spec.resolve(params))
    rows = draw(st.integers(needed, needed + 150))
    freq = draw(st.sampled_from(["1h", "1D", "15min"]))
    bars = make_ohlcv(rows, seed=draw(st.integers(0, 10_000)), freq=freq)
    prefix = draw(st.integers(needed, rows))
    return spec, params, bars, prefix


def causal_columns(spec: IndicatorSpec, params: Mapping[str, object]) -> list[str]:
    return [c for c, o in zip(spec.columns(spec.resolve(params)), spec.outputs, strict=True)
            if not o.uses_future]


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_output_keeps_index_and_length(name: str, data: st.DataObject) -> None:
    call = data.draw(indicator_call(name))
    spec, params, bars, _ = call
    out = compute(bars, spec.name, **params)
    assert len(out) == len(bars)
    assert out.index.equals(bars.index)
    assert list(out.columns) == spec.columns(spec.resolve(params))


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_prefix_equals_whole_no_look_ahead(name: str, data: st.DataObject) -> None:
    call = data.draw(indicator_call(name))
    spec, params, bars, prefix = call
    whole = compute(bars, spec.name, **params)
    part = compute(bars.iloc[:prefix], spec.name, **params)
    columns = causal_columns(spec, params)
    np.testing.assert_array_equal(part[columns].to_numpy(),
                                  whole[columns].iloc[:prefix].to_numpy())


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_warm_up_is_nan_then_defined(name: str, data: st.DataObject) -> None:
    call = data.draw(indicator_call(name))
    spec, params, bars, _ = call
    out = compute(bars, spec.name, **params)[causal_columns(spec, params)]
    warmup = spec.warmup(spec.resolve(params))
    assert out.iloc[:warmup].isna().any(axis=1).all()
    assert out.iloc[warmup:].notna().all(axis=None)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(80, 200), prefix=st.integers(78, 200), displacement=st.integers(0, 26),
       seed=st.integers(0, 10_000))
def test_chikou_is_the_close_ahead_and_honest_about_it(rows: int, prefix: int,
                                                       displacement: int, seed: int) -> None:
    bars = make_ohlcv(rows, seed=seed)
    prefix = min(prefix, rows)
    column = f"ichimoku_chikou_9_26_52_{displacement}"
    whole = compute(bars, "ichimoku", displacement=displacement)[column].to_numpy()
    part = compute(bars.iloc[:prefix], "ichimoku", displacement=displacement)[column]
    known = prefix - displacement
    np.testing.assert_array_equal(part.to_numpy()[:known], whole[:known])
    assert part.iloc[known:].isna().all()
    np.testing.assert_array_equal(whole[:rows - displacement],
                                  bars["close"].to_numpy()[displacement:])
