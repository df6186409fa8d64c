"""The Market chart: candles, volume, overlays on price, one panel per oscillator, and the
forecast fan ahead of the last candle, all on x axes that zoom together.

Built as plain dicts (no ``go.Figure`` validation: it costs more than the maths for 5,000
candles). The returned ``plan`` says which trace shows which column, so replay and live updates
can append bars with ``extendData`` without redrawing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from webapp.components import theme
from webapp.components.arrays import epoch_ms, f32, price_decimals
from webapp.components.indicator_choice import IndicatorChoice

logger = logging.getLogger(__name__)

INITIAL_BARS = 300
PRICE_HEIGHT = 430
VOLUME_HEIGHT = 90
PANEL_HEIGHT = 140
GAP = 0.02
# Guide lines drawn in bounded oscillators (RSI 30/70 and the like).
GUIDES: dict[str, tuple[float, ...]] = {"rsi": (30, 70), "stoch": (20, 80), "mfi": (20, 80),
                                        "willr": (-80, -20), "adx": (25,), "cci": (-100, 100)}
RANGE_BUTTONS = [
    {"count": 1, "label": "1M", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6M", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"count": 1, "label": "1Y", "step": "year", "stepmode": "backward"},
    {"count": 5, "label": "5Y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "All"},
]


@dataclass(frozen=True)
class ForecastBands:
    """A forecast path in prices: median and the 80% / 95% interval bounds per step."""

    timestamps: pd.DatetimeIndex
    median: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    label: str = "Forecast"


@dataclass
class MarketFigure:
    figure: dict[str, Any]
    # One entry per trace that grows with the bars: {"trace": i, "source": column or "ohlc"}.
    plan: list[dict[str, Any]] = field(default_factory=list)


def build_market_figure(bars: pd.DataFrame,
                        indicators: list[tuple[IndicatorChoice, pd.DataFrame]] | None = None,
                        forecast: ForecastBands | None = None, *,
                        title: str = "", initial_bars: int | None = INITIAL_BARS
                        ) -> MarketFigure:
    """Candles + volume + overlays + oscillator panels (+ forecast) with shared x axes.

    Every bar is sent; the first view shows the last ``initial_bars`` (the range buttons and
    panning reach the rest), with each panel's y range fitted to what is visible.
    """
    if bars.empty:
        raise ValueError("no bars to draw")
    indicators = indicators or []
    overlays = [(c, f) for c, f in indicators if c.overlay]
    panels = [(c, f) for c, f in indicators if not c.overlay]
    x = epoch_ms(bars.index)
    decimals = price_decimals(bars["close"])
    rows = _row_domains(len(panels))
    data: list[dict[str, Any]] = []
    plan: list[dict[str, Any]] = []

    data.append({"type": "candlestick", "name": "Price", "x": x, "open": f32(bars["open"]),
                 "high": f32(bars["high"]), "low": f32(bars["low"]),
                 "close": f32(bars["close"]), "xaxis": "x", "yaxis": "y",
                 "increasing": {"line": {"color": theme.UP, "width": 1},
                                "fillcolor": theme.UP},
                 "decreasing": {"line": {"color": theme.DOWN, "width": 1},
                                "fillcolor": theme.DOWN},
                 "showlegend": False})
    plan.append({"trace": 0, "source": "ohlc"})
    # Volume as a stepped area: one SVG path. 5,000 bars drawn as bars cost seconds to render.
    data.append({"type": "scatter", "mode": "lines", "name": "Volume", "x": x,
                 "y": f32(bars["volume"]), "xaxis": "x2", "yaxis": "y2", "showlegend": False,
                 "fill": "tozeroy", "fillcolor": theme.VOLUME_FILL,
                 "line": {"width": 0.6, "shape": "hv", "color": theme.VOLUME_LINE},
                 "hovertemplate": "Volume %{y:,.0f}<extra></extra>"})
    plan.append({"trace": 1, "source": "volume"})

    colour = 0
    for choice, frame in overlays:
        colour = _add_overlay(data, plan, x, choice, frame, colour)
    shapes: list[dict[str, Any]] = []
    for number, (choice, frame) in enumerate(panels, start=3):
        colour = _add_panel(data, plan, x, choice, frame, colour, number, shapes)
    if forecast is not None:
        _add_forecast(data, bars, forecast)

    layout = _layout(rows, panels, decimals, title, shapes)
    fit_axes = ["yaxis", "yaxis2"] + [f"yaxis{n}" for n, (c, _) in enumerate(panels, start=3)
                                      if c.spec.value_range is None]
    layout["meta"] = {"fit_axes": fit_axes}
    if initial_bars and len(bars) > initial_bars:
        x0 = float(x[-initial_bars])
        x1 = float(data[-1]["x"][-1]) if forecast is not None else float(x[-1])
        pad = (x1 - x0) * 0.01
        layout["xaxis"]["range"] = [x0 - pad, x1 + pad]
        layout["xaxis"]["autorange"] = False
        fit_y_ranges(data, layout, fit_axes, x0, x1)
    price_top = layout["yaxis"].get("range", [0.0, float(bars["high"].max())])[1]
    legend_entries = sum(1 for trace in data if trace.get("showlegend", True))
    layout["margin"] = settled_margins(price_top, decimals, legend_entries, title)
    layout["meta"]["top_without_legend"] = _top_without_legend(title)
    return MarketFigure({"data": data, "layout": layout}, plan)


def settled_margins(price_top: float, decimals: int, legend_entries: int,
                    title: str) -> dict[str, int]:
    """The margins plotly's automargin settles on for this chart at desktop width.

    Starting from them, automargin has nothing to push and the first draw is not redone
    (0.14 s of the first chart, docs/ui.md). Where the guess is short (long labels, a narrow
    window wrapping the legend) automargin still pushes: the layout stays right, one redraw
    slower. Measured at 1,400 px: the right margin holds the price labels (5.5 px a character
    plus ticks); one legend row adds 9 px on top, two add 47 px. ``meta.top_without_legend``
    is the top margin phones use, which hide the legend (``assets/figures.js``).
    """
    label = f"{price_top:,.{decimals}f}"
    legend = 0 if legend_entries == 0 else 9 if legend_entries <= 2 else 47
    return {"l": 10, "r": 20 + round(5.5 * len(label)),
            "t": _top_without_legend(title) + legend, "b": 30}


def _top_without_legend(title: str) -> int:
    return 40 if title else 30


def fit_y_ranges(data: list[dict[str, Any]], layout: dict[str, Any], axes: list[str],
                 x0: float, x1: float) -> None:
    """Set each axis' y range to the values visible between x0 and x1 (plus 4% margin)."""
    for axis in axes:
        ref = "y" + axis.removeprefix("yaxis")
        low, high = np.inf, -np.inf
        for trace in data:
            if trace.get("yaxis", "y") != ref:
                continue
            inside = (trace["x"] >= x0) & (trace["x"] <= x1)
            keys = ("low", "high") if trace["type"] == "candlestick" else ("y",)
            for key in keys:
                values = np.asarray(trace[key])[inside]
                values = values[np.isfinite(values)]
                if values.size:
                    low, high = min(low, float(values.min())), max(high, float(values.max()))
                if trace.get("fill") == "tozeroy":
                    low = min(low, 0.0)
        if np.isfinite(low) and np.isfinite(high):
            margin = (high - low) * 0.04 or abs(high) * 0.01 or 1.0
            layout[axis]["range"] = [low - margin, high + margin]
            layout[axis]["autorange"] = False


def _row_domains(panel_count: int) -> list[tuple[float, float]]:
    """Vertical domains, top to bottom: price, volume, then one per oscillator panel."""
    heights = [PRICE_HEIGHT, VOLUME_HEIGHT] + [PANEL_HEIGHT] * panel_count
    total = sum(heights)
    usable = 1 - GAP * (len(heights) - 1)
    domains = []
    top = 1.0
    for height in heights:
        bottom = max(0.0, top - usable * height / total)
        domains.append((round(bottom, 4), round(top, 4)))
        top = bottom - GAP
    return domains


def figure_height(panel_count: int) -> int:
    return PRICE_HEIGHT + VOLUME_HEIGHT + PANEL_HEIGHT * panel_count + 80


def _add_overlay(data: list[dict[str, Any]], plan: list[dict[str, Any]], x: np.ndarray,
                 choice: IndicatorChoice, frame: pd.DataFrame, colour: int) -> int:
    outputs = [o for o in choice.spec.outputs if o.overlay]
    columns = choice.spec.columns(choice.param_dict)
    by_key = dict(zip([o.key for o in choice.spec.outputs], columns, strict=True))
    cloud = choice.name == "ichimoku"
    for output in outputs:
        column = by_key[output.key]
        trace: dict[str, Any] = {
            "type": "scatter", "mode": "lines",
            "name": f"{choice.label} {output.label}" if len(outputs) > 1 else choice.label,
            "legendgroup": choice.token, "x": x, "y": f32(frame[column]),
            "xaxis": "x", "yaxis": "y", "line": {"width": 1.3, "color":
                                                 theme.series_colour(colour)},
            "hovertemplate": "%{y}<extra>%{fullData.name}</extra>"}
        if choice.name == "sar":
            trace.update(mode="markers", marker={"size": 3, "color":
                                                 theme.series_colour(colour)})
        if cloud and output.key.endswith("senkou_b"):
            trace.update(fill="tonexty", fillcolor="rgba(168, 85, 247, 0.12)")
        if choice.name == "bbands" and output.key.endswith("lower"):
            trace.update(fill="tonexty", fillcolor="rgba(59, 130, 246, 0.06)")
        plan.append({"trace": len(data), "source": column, "indicator": choice.token})
        data.append(trace)
        colour += 1
    return colour


def _add_panel(data: list[dict[str, Any]], plan: list[dict[str, Any]], x: np.ndarray,
               choice: IndicatorChoice, frame: pd.DataFrame, colour: int, number: int,
               shapes: list[dict[str, Any]]) -> int:
    columns = choice.spec.columns(choice.param_dict)
    for output, column in zip(choice.spec.outputs, columns, strict=True):
        if output.overlay:
            continue
        if choice.name == "bbands":
            continue  # %b and bandwidth belong to the overlay; not drawn as a panel
        trace: dict[str, Any] = {
            "type": "scatter", "mode": "lines", "name": f"{choice.label} {output.label}",
            "legendgroup": choice.token, "x": x, "y": f32(frame[column]),
            "xaxis": f"x{number}", "yaxis": f"y{number}",
            "line": {"width": 1.3, "color": theme.series_colour(colour)},
            "hovertemplate": "%{y:.4g}<extra>%{fullData.name}</extra>"}
        if output.key.endswith("hist"):
            # An area, not bars: one path instead of thousands of rectangles.
            trace.update(fill="tozeroy", line={"width": 0.6, "shape": "hv",
                                               "color": theme.series_colour(colour)})
        plan.append({"trace": len(data), "source": column, "indicator": choice.token})
        data.append(trace)
        colour += 1
    for level in GUIDES.get(choice.name, ()):
        shapes.append({"type": "line", "xref": f"x{number} domain", "yref": f"y{number}",
                       "x0": 0, "x1": 1, "y0": level, "y1": level,
                       "line": {"width": 1, "dash": "dot", "color": "rgba(128,128,128,0.7)"}})
    return colour


def _add_forecast(data: list[dict[str, Any]], bars: pd.DataFrame,
                  forecast: ForecastBands) -> None:
    """The fan starts at the last close so it visibly continues the candles."""
    x = np.concatenate([epoch_ms(bars.index[-1:]), epoch_ms(forecast.timestamps)])
    last = float(bars["close"].iloc[-1])

    def path(values: np.ndarray) -> np.ndarray:
        return f32(np.concatenate([[last], np.asarray(values, dtype=np.float64)]))

    common = {"xaxis": "x", "yaxis": "y", "mode": "lines", "legendgroup": "forecast",
              "hoverinfo": "skip"}
    data.append({**common, "type": "scatter", "name": "95% band", "x": x,
                 "y": path(forecast.upper_95), "line": {"width": 0}, "showlegend": False})
    data.append({**common, "type": "scatter", "name": "95% band", "x": x,
                 "y": path(forecast.lower_95), "line": {"width": 0}, "fill": "tonexty",
                 "fillcolor": theme.BAND_95})
    data.append({**common, "type": "scatter", "name": "80% band", "x": x,
                 "y": path(forecast.upper_80), "line": {"width": 0}, "showlegend": False})
    data.append({**common, "type": "scatter", "name": "80% band", "x": x,
                 "y": path(forecast.lower_80), "line": {"width": 0}, "fill": "tonexty",
                 "fillcolor": theme.BAND_80})
    data.append({**common, "type": "scatter", "name": forecast.label, "x": x,
                 "y": path(forecast.median), "hoverinfo": None,
                 "hovertemplate": "%{y}<extra>forecast</extra>",
                 "line": {"width": 2, "dash": "dash", "color": theme.ACCENT}})


def _layout(rows: list[tuple[float, float]], panels: list[tuple[IndicatorChoice, pd.DataFrame]],
            decimals: int, title: str, shapes: list[dict[str, Any]]) -> dict[str, Any]:
    bottom_axis = len(rows)
    layout: dict[str, Any] = {
        "height": figure_height(len(panels)),
        "hovermode": "x unified", "dragmode": "pan", "showlegend": True,
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                   "xanchor": "right", "font": {"size": 11}},
        "shapes": shapes, "uirevision": "market",
    }
    if title:
        layout["title"] = {"text": title, "x": 0.01, "font": {"size": 14}}
    for number, (low, high) in enumerate(rows, start=1):
        suffix = "" if number == 1 else str(number)
        x_axis: dict[str, Any] = {"type": "date", "anchor": f"y{suffix}",
                                  "showticklabels": number == bottom_axis,
                                  "rangeslider": {"visible": False},
                                  "showspikes": True, "spikemode": "across",
                                  "spikethickness": 1, "spikedash": "dot"}
        if number > 1:
            x_axis["matches"] = "x"
        y_axis: dict[str, Any] = {"domain": [low, high], "anchor": f"x{suffix}",
                                  "side": "right", "automargin": True, "fixedrange": False}
        if number == 1:
            y_axis.update(hoverformat=f",.{decimals}f", tickformat=f",.{decimals}f")
        if number == 2:
            y_axis.update(showticklabels=False, showgrid=False)
        if number >= 3:
            choice = panels[number - 3][0]
            value_range = choice.spec.value_range
            if value_range is not None:
                y_axis["range"] = list(value_range)
            y_axis["title"] = {"text": choice.label, "font": {"size": 11}}
        layout[f"xaxis{suffix}"] = x_axis
        layout[f"yaxis{suffix}"] = y_axis
    layout["xaxis"]["rangeselector"] = {"buttons": RANGE_BUTTONS, "x": 0, "y": 1.0,
                                        "yanchor": "bottom", "font": {"size": 11},
                                        "bgcolor": "rgba(128,128,128,0.15)",
                                        "activecolor": "rgba(59,130,246,0.35)"}
    return layout
