"""The Market figure: panels, shared axes, fitted first view, size, forecast fan."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.io.json as pio_json
import pytest

from ml.analytics.indicators import compute
from tests.conftest import make_ohlcv
from webapp.components.graphs import figure_payload
from webapp.components.indicator_choice import parse_tokens
from webapp.components.market_chart import (
    INITIAL_BARS,
    ForecastBands,
    build_market_figure,
    settled_margins,
)

FIVE = "sma:period=50,ema:period=20,bbands:period=20:stddev=2,rsi:period=14,macd"


def _figure(rows: int = 5000, tokens: str = FIVE, forecast: ForecastBands | None = None):
    bars = make_ohlcv(rows, seed=3)
    choices, problems = parse_tokens(tokens)
    assert not problems
    computed = [(c, compute(bars, c.name, **c.param_dict)) for c in choices]
    return bars, build_market_figure(bars, computed, forecast)


def test_overlays_share_price_axis_and_oscillators_get_panels() -> None:
    _bars, market = _figure()
    data, layout = market.figure["data"], market.figure["layout"]
    assert data[0]["type"] == "candlestick" and data[0]["yaxis"] == "y"
    overlay_axes = {t["yaxis"] for t in data if t.get("legendgroup", "").startswith(
        ("sma", "ema", "bbands"))}
    assert overlay_axes == {"y"}
    # RSI on panel 3, MACD (3 lines) on panel 4; every x axis follows the first.
    assert {t["yaxis"] for t in data if t.get("legendgroup", "").startswith("rsi")} == {"y3"}
    assert {t["yaxis"] for t in data if t.get("legendgroup", "").startswith("macd")} == {"y4"}
    assert [layout[f"xaxis{n}"]["matches"] for n in (2, 3, 4)] == ["x", "x", "x"]
    assert layout["yaxis3"]["range"] == [0.0, 100.0]
    # Panels do not overlap and stack downwards.
    domains = [layout[a]["domain"] for a in ("yaxis", "yaxis2", "yaxis3", "yaxis4")]
    assert all(upper[0] > lower[1] for upper, lower in zip(domains, domains[1:], strict=False))
    # The plan maps every growing trace to its column, for replay.
    sources = {entry["source"] for entry in market.plan}
    assert {"ohlc", "volume", "sma_50", "rsi_14", "macd_12_26_9"} <= sources


def test_first_view_shows_recent_bars_with_fitted_price_range() -> None:
    bars, market = _figure()
    layout = market.figure["layout"]
    x0, x1 = layout["xaxis"]["range"]
    recent = bars.iloc[-INITIAL_BARS:]
    first_ms = recent.index[0].value / 1e6
    assert x0 < first_ms < x1
    low, high = layout["yaxis"]["range"]
    assert low <= recent["low"].min() and high >= recent["high"].max()
    # Fitted to what is visible, not to 5,000 bars of history.
    assert high - low < (bars["high"].max() - bars["low"].min())


def test_figure_json_stays_under_the_budget() -> None:
    _bars, market = _figure()
    payload = pio_json.to_json_plotly(figure_payload(market.figure))
    assert len(payload) < 1_500_000
    decoded = json.loads(payload)["figure"]["data"][0]["close"]
    assert decoded["dtype"] == "f4"  # typed arrays, not lists of numbers


def test_forecast_fan_starts_at_last_close() -> None:
    bars = make_ohlcv(400, seed=1)
    last = float(bars["close"].iloc[-1])
    steps = pd.date_range(bars.index[-1] + pd.Timedelta(days=1), periods=5, freq="D")
    median = last * np.exp(np.linspace(0.001, 0.005, 5))
    fan = ForecastBands(steps, median, median * 0.98, median * 1.02, median * 0.96,
                        median * 1.04)
    market = build_market_figure(bars, [], fan)
    names = [t["name"] for t in market.figure["data"]]
    assert names[-5:] == ["95% band", "95% band", "80% band", "80% band", "Forecast"]
    forecast = market.figure["data"][-1]
    assert forecast["y"][0] == pytest.approx(last, rel=1e-6)
    assert len(forecast["x"]) == 6
    # The first view reaches the end of the forecast.
    assert market.figure["layout"]["xaxis"]["range"][1] >= forecast["x"][-1]


def test_no_bars_is_an_error() -> None:
    with pytest.raises(ValueError, match="no bars"):
        build_market_figure(make_ohlcv(10).iloc[:0])


@pytest.mark.parametrize(("price_top", "decimals", "entries", "title", "expected"), [
    (3032.84, 2, 9, "", {"l": 10, "r": 64, "t": 77, "b": 30}),  # measured at 1,400 px
    (819.07, 2, 1, "", {"l": 10, "r": 53, "t": 39, "b": 30}),
    (1.2345, 4, 2, "", {"l": 10, "r": 53, "t": 39, "b": 30}),
    (2964.68, 2, 0, "SPX", {"l": 10, "r": 64, "t": 40, "b": 30}),
])
def test_margins_are_the_ones_automargin_settles_on(price_top: float, decimals: int,
                                                     entries: int, title: str,
                                                     expected: dict[str, int]) -> None:
    """Figures measured in Chromium (tests/browser/test_page_scripts.py checks them drawn)."""
    assert settled_margins(price_top, decimals, entries, title) == expected


def test_market_figure_asks_for_the_settled_margins() -> None:
    _bars, market = _figure(tokens="sma:period=50,rsi:period=14")
    layout = market.figure["layout"]
    top = layout["yaxis"]["range"][1]
    shown = sum(1 for t in market.figure["data"] if t.get("showlegend", True))
    assert shown == 2  # the SMA and the RSI lines; candles and volume stay out of the legend
    assert layout["margin"] == settled_margins(top, 2, shown, "")
    assert layout["meta"]["top_without_legend"] == 30
