"""Risk figures: drawdown, return histogram with VaR lines, rolling volatility, correlation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from webapp.components import theme
from webapp.components.arrays import epoch_ms, f32
from webapp.components.theme import RIGHT_AXIS

BASE_LAYOUT: dict[str, Any] = {"margin": {"l": 10, "r": 10, "t": 40, "b": 30},
                               "hovermode": "x unified", "height": 320}
VAR_COLOURS = {0.95: theme.WARN, 0.99: theme.DANGER}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {**BASE_LAYOUT, "title": {"text": title, "x": 0.01, "font": {"size": 14}}, **extra}


def drawdown_figure(drawdown: pd.Series) -> dict[str, Any]:
    """Fall from the running peak, as a red area below zero."""
    return {"data": [{"type": "scatter", "mode": "lines", "name": "Drawdown",
                      "x": epoch_ms(drawdown.index), "y": f32(drawdown.to_numpy()),
                      "fill": "tozeroy", "line": {"width": 1, "color": theme.DANGER},
                      "fillcolor": "rgba(239, 68, 68, 0.25)",
                      "hovertemplate": "%{y:.1%}<extra>drawdown</extra>"}],
            "layout": _layout("Drawdown from the running peak",
                              xaxis={"type": "date"},
                              yaxis={**RIGHT_AXIS, "tickformat": ".0%"})}


def histogram_figure(returns: np.ndarray, tails: list[Any], bins: int = 80) -> dict[str, Any]:
    """Per-bar returns with the historical VaR of each level as a vertical line."""
    values = np.asarray(returns, dtype=np.float64)
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    shapes, annotations = [], []
    for tail in tails:
        if tail.method != "historical":
            continue
        colour = VAR_COLOURS.get(round(tail.level, 2), theme.WARN)
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": -tail.var,
                       "x1": -tail.var, "y0": 0, "y1": 1,
                       "line": {"color": colour, "width": 2, "dash": "dash"}})
        annotations.append({"x": -tail.var, "y": 1 - 0.08 * len(annotations),
                            "xref": "x", "yref": "paper",
                            "text": f"VaR {tail.level:.0%}", "showarrow": False,
                            "xanchor": "right", "yanchor": "top",
                            "font": {"color": colour, "size": 11}})
    return {"data": [{"type": "bar", "name": "Returns", "x": centres, "y": counts,
                      "marker": {"color": theme.ACCENT, "line": {"width": 0}},
                      "hovertemplate": "%{x:.2%}: %{y} bars<extra></extra>"}],
            "layout": _layout("Distribution of returns per bar", bargap=0.02,
                              hovermode="closest", shapes=shapes, annotations=annotations,
                              xaxis={"tickformat": ".1%"}, yaxis=RIGHT_AXIS)}


def rolling_volatility_figure(close: pd.Series, periods_per_year: float,
                              windows: tuple[int, ...] = (20, 60)) -> dict[str, Any]:
    """Annualised volatility over trailing windows."""
    log_returns = np.log(close).diff()
    data = []
    for position, window in enumerate(windows):
        rolled = log_returns.rolling(window).std() * np.sqrt(periods_per_year)
        data.append({"type": "scatter", "mode": "lines", "name": f"{window} bars",
                     "x": epoch_ms(rolled.index), "y": f32(rolled.to_numpy()),
                     "line": {"width": 1.3, "color": theme.series_colour(position + 1)},
                     "hovertemplate": "%{y:.1%}<extra>%{fullData.name}</extra>"})
    return {"data": data, "layout": _layout(
        "Rolling volatility (annualised)", xaxis={"type": "date"},
        yaxis={**RIGHT_AXIS, "tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                "xanchor": "right"})}


def correlation_figure(matrix: pd.DataFrame, counts: pd.DataFrame) -> dict[str, Any]:
    """Heatmap of return correlations with the value and overlap in each cell."""
    labels = [str(c) for c in matrix.columns]
    values = matrix.to_numpy(dtype=np.float64)
    text = [[f"{values[i, j]:.2f}" if np.isfinite(values[i, j]) else "n/a"
             for j in range(len(labels))] for i in range(len(labels))]
    overlap = [[f"{int(counts.iloc[i, j])} common bars" for j in range(len(labels))]
               for i in range(len(labels))]
    z = [[None if not np.isfinite(v) else float(v) for v in row] for row in values]
    return {"data": [{"type": "heatmap", "x": labels, "y": labels, "z": z, "zmin": -1,
                      "zmax": 1, "colorscale": "RdBu", "reversescale": False,
                      "text": text, "texttemplate": "%{text}", "customdata": overlap,
                      "hovertemplate": "%{y} / %{x}: %{z:.2f}<br>%{customdata}"
                                       "<extra></extra>",
                      "colorbar": {"thickness": 10, "len": 0.9}}],
            "layout": _layout("Correlation of returns", height=360, hovermode="closest",
                              yaxis={"autorange": "reversed", "automargin": True},
                              xaxis={"automargin": True, "side": "bottom"})}


def correlation_matrix(closes: dict[str, pd.Series], by_date: bool
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairwise correlations of simple returns on common timestamps (dates for daily bars)."""
    returns = {}
    for name, close in closes.items():
        series = close.copy()
        if by_date:
            series.index = pd.DatetimeIndex(series.index).normalize()
            series = series[~series.index.duplicated(keep="last")]
        returns[name] = series.pct_change().dropna()
    frame = pd.DataFrame(returns)
    present = frame.notna().astype(np.int64)
    counts = present.T @ present
    return frame.corr(min_periods=20), counts
