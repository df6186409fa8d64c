"""Multi-timeframe panels: the same symbol at several intervals, small candle charts whose x
ranges are linked in the browser (``assets/market.js``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ml.data import INTERVALS
from webapp.components import theme
from webapp.components.arrays import epoch_ms, f32, price_decimals

MTF_BARS = 400  # most recent bars per panel: enough context, light to draw


def mtf_intervals(interval: str) -> list[str]:
    """Candidates in the order to try: the interval, coarser ones, then finer ones."""
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    position = INTERVALS.index(interval)
    return [interval, *INTERVALS[position + 1:], *reversed(INTERVALS[:position])]


def mtf_figure(bars: pd.DataFrame, symbol: str, interval: str) -> dict[str, Any]:
    recent = bars.iloc[-MTF_BARS:]
    decimals = price_decimals(recent["close"])
    return {"data": [{
        "type": "candlestick", "name": interval, "x": epoch_ms(recent.index),
        "open": f32(recent["open"]), "high": f32(recent["high"]), "low": f32(recent["low"]),
        "close": f32(recent["close"]), "showlegend": False,
        "increasing": {"line": {"color": theme.UP, "width": 1}, "fillcolor": theme.UP},
        "decreasing": {"line": {"color": theme.DOWN, "width": 1}, "fillcolor": theme.DOWN},
    }], "layout": {
        "height": 300, "title": {"text": f"{symbol} · {interval}", "x": 0.02,
                                 "font": {"size": 13}},
        "margin": {"l": 10, "r": 10, "t": 36, "b": 36}, "dragmode": "pan",
        "hovermode": "x", "uirevision": f"mtf-{interval}", "meta": {"fit_axes": ["yaxis"]},
        "xaxis": {"type": "date", "rangeslider": {"visible": False}, "showspikes": True,
                  "spikemode": "across", "spikethickness": 1, "spikedash": "dot"},
        "yaxis": {"side": "right", "tickformat": f",.{decimals}f", "automargin": True},
    }}
