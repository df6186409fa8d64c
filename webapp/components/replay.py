"""Replay: show a static history (sample or imported data) as if it were arriving live.

The first figure holds the bars up to a starting point as plain JSON lists; each step returns
a ``Patch`` that extends every trace by the next bars, so the browser appends points instead of
receiving and redrawing the whole chart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from dash import Patch

from webapp.components.arrays import epoch_ms
from webapp.components.indicator_choice import IndicatorChoice
from webapp.components.market_chart import build_market_figure

REPLAY_START_FRACTION = 0.8
REPLAY_WINDOW = 250  # bars on screen when the replay starts
REPLAY_STEP_BARS = 1


def _plain(value: Any) -> Any:
    """numpy arrays -> lists with None for NaN (JSON lists can be extended by a Patch)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [None if math.isnan(v) else float(v) for v in value.tolist()]
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def replay_figure(loaded: Any, computed: list[tuple[IndicatorChoice, pd.DataFrame]],
                  start: int) -> dict[str, Any]:
    """The chart of bars ``[start - REPLAY_WINDOW, start)`` with lists instead of typed arrays."""
    bars = loaded.bars
    first = max(0, start - REPLAY_WINDOW)
    window = bars.iloc[first:start]
    sliced = [(choice, frame.iloc[first:start]) for choice, frame in computed]
    market = build_market_figure(window, sliced)
    figure = _plain(market.figure)
    figure["layout"]["uirevision"] = "replay"
    figure["layout"]["meta"] = {"plan": market.plan}
    return figure


def replay_patch(loaded: Any, computed: list[tuple[IndicatorChoice, pd.DataFrame]],
                 position: int, stop: int) -> Patch:
    """Extend each trace with bars ``[position, stop)``; trace order follows the figure's plan."""
    bars = loaded.bars.iloc[position:stop]
    x = epoch_ms(bars.index).tolist()
    columns = {c: f for _, frame in computed for c, f in frame.items()}
    patch = Patch()
    market = build_market_figure(loaded.bars.iloc[:2], [(c, f.iloc[:2]) for c, f in computed])
    for entry in market.plan:
        trace = patch["data"][entry["trace"]]
        source = entry["source"]
        if source == "ohlc":
            trace["x"].extend(x)
            for column in ("open", "high", "low", "close"):
                trace[column].extend(_plain(bars[column].to_numpy(np.float64)))
        elif source == "volume":
            trace["x"].extend(x)
            trace["y"].extend(_plain(bars["volume"].to_numpy(np.float64)))
        elif source in columns:
            trace["x"].extend(x)
            trace["y"].extend(_plain(columns[source].iloc[position:stop].to_numpy(np.float64)))
    return patch


def live_update(loaded: Any, computed: list[tuple[IndicatorChoice, pd.DataFrame]],
                plan: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """The last ``count`` bars as ``Plotly.extendTraces`` groups (``assets/market.js``).

    Candles and line traces take different attributes, so they are two groups; the browser
    appends them to the typed arrays already drawn: no figure is sent again.
    """
    bars = loaded.bars.iloc[-count:]
    x = epoch_ms(bars.index).tolist()
    columns = {c: f for _, frame in computed for c, f in frame.items()}
    candle: dict[str, Any] = {"indices": [], "data": {k: [] for k in
                                                      ("x", "open", "high", "low", "close")}}
    lines: dict[str, Any] = {"indices": [], "data": {"x": [], "y": []}}
    for entry in plan:
        source = entry["source"]
        if source == "ohlc":
            candle["indices"].append(entry["trace"])
            candle["data"]["x"].append(x)
            for column in ("open", "high", "low", "close"):
                candle["data"][column].append(_plain(bars[column].to_numpy(np.float64)))
            continue
        if source == "volume":
            values = bars["volume"].to_numpy(np.float64)
        elif source in columns:
            values = columns[source].iloc[-count:].to_numpy(np.float64)
        else:
            continue
        lines["indices"].append(entry["trace"])
        lines["data"]["x"].append(x)
        lines["data"]["y"].append(_plain(values))
    return {"groups": [g for g in (candle, lines) if g["indices"]], "bars": count,
            "last": str(bars.index[-1])}
