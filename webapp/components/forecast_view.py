"""The model card's parts: metric tables beside the baselines, the forecast table, the fan,
the live track record (predicted vs actual with bands), residuals, folds and versions."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import html

from webapp.components import theme
from webapp.components.arrays import epoch_ms, f32
from webapp.components.market_chart import ForecastBands
from webapp.components.theme import RIGHT_AXIS

FAN_HISTORY_BARS = 120
FOLD_LINE = "rgba(128, 128, 128, 0.6)"  # mid grey: subtle on white and on near-black
METRIC_COLUMNS = (("MAE", "mae", 4), ("RMSE", "rmse", 4), ("MAPE %", "mape", 2),
                  ("R²", "r2", 3), ("Theil's U", "theil_u", 3), ("DM p (better)", "dm_p_better",
                                                                   3))


def _num(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:,.{digits}f}"


def skill_badge(summary: dict[str, Any] | None) -> Any:
    if not summary:
        return dbc.Badge("not evaluated", color="secondary", className="skill-badge")
    verdict = summary.get("verdict", "")
    skilled = verdict in {"skill", "beats GARCH"}
    return html.Span(dbc.Badge(verdict.upper() if not skilled else verdict,
                               color="success" if skilled else "danger",
                               className="skill-badge fs-6"),
                     **{"data-verdict": verdict})


def metrics_table(horizons: dict[str, Any]) -> Any:
    """Per horizon: the model's row, then each baseline's, with directional accuracy."""
    head = html.Thead(html.Tr([html.Th("h"), html.Th("Forecaster")]
                              + [html.Th(label, className="text-end")
                                 for label, _, _ in METRIC_COLUMNS]
                              + [html.Th("Direction (95% CI)", className="text-end")]))
    rows = []
    for horizon, entry in horizons.items():
        if "model" not in entry or "mae" not in entry.get("model", {}):
            continue
        candidates = [("model", entry["model"])] + list(entry.get("baselines", {}).items())
        for position, (name, metrics) in enumerate(candidates):
            directional = metrics.get("directional") or {}
            acc = directional.get("accuracy")
            direction = "—" if acc is None else (
                f"{acc:.1%} ({directional.get('ci_low', 0):.1%}–"
                f"{directional.get('ci_high', 0):.1%})")
            cells = [html.Td(horizon if position == 0 else ""),
                     html.Td(html.Strong(name) if name == "model" else name)]
            cells += [html.Td(_num(metrics.get(key), digits), className="text-end")
                      for _, key, digits in METRIC_COLUMNS]
            cells.append(html.Td(direction, className="text-end"))
            rows.append(html.Tr(cells, className="table-active" if name == "model" else ""))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True,
                              className="small mb-0 metrics-table"),
                    className="table-responsive")


def coverage_list(summary: dict[str, Any] | None) -> Any:
    coverage = (summary or {}).get("coverage") or {}
    if not coverage:
        return html.Div()
    items = [html.Li(f"{float(level):.0%} band covered {value:.1%} of outcomes"
                     if _is_number(level) else f"{level}: {value:.1%}")
             for level, value in coverage.items()]
    return html.Ul(items, className="small mb-0")


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def forecast_table(bands: ForecastBands, decimals: int) -> Any:
    head = html.Thead(html.Tr([html.Th("h"), html.Th("Bar")]
                              + [html.Th(h, className="text-end")
                                 for h in ("Forecast", "80% band", "95% band")]))
    rows = [html.Tr([
        html.Td(str(i + 1)), html.Td(f"{ts:%Y-%m-%d %H:%M}"),
        html.Td(f"{bands.median[i]:,.{decimals}f}", className="text-end"),
        html.Td(f"{bands.lower_80[i]:,.{decimals}f} – {bands.upper_80[i]:,.{decimals}f}",
                className="text-end"),
        html.Td(f"{bands.lower_95[i]:,.{decimals}f} – {bands.upper_95[i]:,.{decimals}f}",
                className="text-end"),
    ]) for i, ts in enumerate(bands.timestamps)]
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", className="small mb-0 "
                              "forecast-table"), className="table-responsive")


def fan_figure(bars: pd.DataFrame, bands: ForecastBands | None) -> dict[str, Any]:
    """The last closes and, ahead of them, the forecast with its 80% and 95% bands."""
    recent = bars.iloc[-FAN_HISTORY_BARS:]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines", "name": "Close", "x": epoch_ms(recent.index),
        "y": f32(recent["close"]), "line": {"width": 1.5, "color": theme.series_colour(0)}}]
    if bands is not None:
        x = np.concatenate([epoch_ms(recent.index[-1:]), epoch_ms(bands.timestamps)])
        last = float(recent["close"].iloc[-1])

        def path(values: np.ndarray) -> np.ndarray:
            return f32(np.concatenate([[last], values]))

        for level, low, high, fill in ((95, bands.lower_95, bands.upper_95, theme.BAND_95),
                                       (80, bands.lower_80, bands.upper_80, theme.BAND_80)):
            data.append({"type": "scatter", "mode": "lines", "x": x, "y": path(high),
                         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip",
                         "name": f"{level}% band"})
            data.append({"type": "scatter", "mode": "lines", "x": x, "y": path(low),
                         "line": {"width": 0}, "fill": "tonexty", "fillcolor": fill,
                         "name": f"{level}% band", "hoverinfo": "skip"})
        data.append({"type": "scatter", "mode": "lines+markers", "name": "Forecast", "x": x,
                     "y": path(bands.median), "marker": {"size": 4},
                     "line": {"width": 2, "dash": "dash", "color": theme.ACCENT}})
    return {"data": data, "layout": {
        "height": 340, "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
        "title": {"text": "Forecast fan (80% and 95% bands)", "x": 0.01, "font": {"size": 14}},
        "hovermode": "x unified", "xaxis": {"type": "date"}, "yaxis": RIGHT_AXIS,
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                   "xanchor": "right"}}}


def track_record(history: list[dict[str, Any]], bars: pd.DataFrame) -> pd.DataFrame:
    """One row per stored forecast whose next bar has closed: predicted, actual, h=1 bands."""
    rows = []
    index = bars.index
    for item in history:
        origin = pd.Timestamp(item["origin"])
        position = index.searchsorted(origin, side="right")
        if position >= len(index) or not item.get("prices"):
            continue
        bands = item.get("bands") or {}
        row = {"origin": origin, "target": index[position], "predicted": item["prices"][0],
               "actual": float(bars["close"].iloc[position])}
        for level, key in (("0.8", "80"), ("0.95", "95")):
            if level in bands:
                row[f"lower_{key}"] = bands[level]["lower"][0]
                row[f"upper_{key}"] = bands[level]["upper"][0]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values("target").drop_duplicates("target", keep="last")
    return frame


def track_figure(track: pd.DataFrame, *,
                 title: str = "Track record: predicted vs actual, one bar ahead",
                 mode: str = "lines+markers") -> dict[str, Any]:
    """Predicted vs actual one bar ahead with the 80% and 95% bands: the live record of stored
    forecasts, or (``backtest_figure``) the walk-forward backtest's."""
    x = epoch_ms(pd.DatetimeIndex(track["target"]))
    data: list[dict[str, Any]] = []
    for key, fill in (("95", theme.BAND_95), ("80", theme.BAND_80)):
        if f"upper_{key}" in track:
            data.append({"type": "scatter", "mode": "lines", "x": x,
                         "y": f32(track[f"upper_{key}"]), "line": {"width": 0},
                         "showlegend": False, "hoverinfo": "skip"})
            data.append({"type": "scatter", "mode": "lines", "x": x,
                         "y": f32(track[f"lower_{key}"]), "line": {"width": 0},
                         "fill": "tonexty", "fillcolor": fill, "name": f"{key}% band",
                         "hoverinfo": "skip"})
    data.append({"type": "scatter", "mode": mode, "name": "Predicted", "x": x,
                 "y": f32(track["predicted"]), "marker": {"size": 4},
                 "line": {"dash": "dash", "color": theme.ACCENT, "width": 1.5}})
    data.append({"type": "scatter", "mode": mode, "name": "Actual", "x": x,
                 "y": f32(track["actual"]), "marker": {"size": 4},
                 "line": {"color": theme.series_colour(0), "width": 1.5}})
    return {"data": data, "layout": {
        "height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
        "title": {"text": title, "x": 0.01, "font": {"size": 14}},
        "hovermode": "x unified", "xaxis": {"type": "date"}, "yaxis": RIGHT_AXIS,
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                   "xanchor": "right"}}}


def residual_figure(track: pd.DataFrame) -> dict[str, Any]:
    """Residuals (actual - predicted) over time and as a histogram, side by side."""
    residuals = (track["actual"] - track["predicted"]).to_numpy(dtype=np.float64)
    x = epoch_ms(pd.DatetimeIndex(track["target"]))
    return {"data": [
        {"type": "scatter", "mode": "markers", "name": "Residual", "x": x,
         "y": f32(residuals), "marker": {"size": 5, "color": theme.ACCENT},
         "xaxis": "x", "yaxis": "y"},
        {"type": "histogram", "name": "Count", "x": residuals, "nbinsx": 30,
         "marker": {"color": theme.series_colour(2)}, "xaxis": "x2", "yaxis": "y2"},
    ], "layout": {
        "height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 30}, "showlegend": False,
        "title": {"text": "Residuals (actual - predicted)", "x": 0.01, "font": {"size": 14}},
        "xaxis": {"domain": [0, 0.6], "type": "date"}, "yaxis": {"anchor": "x"},
        "xaxis2": {"domain": [0.68, 1], "anchor": "y2"}, "yaxis2": {"anchor": "x2"},
        "shapes": [{"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1,
                    "y0": 0, "y1": 0, "line": {"dash": "dot", "width": 1,
                                               "color": "rgba(128,128,128,0.7)"}}]}}


def folds_figure(report: dict[str, Any]) -> dict[str, Any]:
    """Per walk-forward fold: Theil's U (below 1 beats the random walk) and 80% coverage."""
    folds = report.get("folds") or []
    labels = [f"fold {f['fold']}" for f in folds]
    theil = [f.get("mean_theil_u") for f in folds]
    cover = [(f.get("coverage") or {}).get("0.8") for f in folds]
    return {"data": [
        {"type": "bar", "name": "Theil's U", "x": labels, "y": theil,
         "marker": {"color": theme.ACCENT}},
        {"type": "scatter", "mode": "lines+markers", "name": "80% coverage", "x": labels,
         "y": cover, "yaxis": "y2", "line": {"color": theme.WARN}},
    ], "layout": {
        "height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
        "title": {"text": "Walk-forward backtest by fold", "x": 0.01, "font": {"size": 14}},
        "yaxis": {"title": {"text": "Theil's U"}},
        "yaxis2": {"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1]},
        "shapes": [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 1,
                    "y1": 1, "line": {"dash": "dot", "width": 1, "color": theme.DANGER}}],
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1,
                   "xanchor": "right"}}}


def backtest_track(report: dict[str, Any] | None) -> pd.DataFrame:
    """The backtest's stored out-of-sample forecasts (``report["predictions"]``) in the
    track record's shape (``target``, ``predicted``, ``actual``, bounds) plus ``fold``."""
    series = (report or {}).get("predictions") or {}
    if not series.get("timestamp"):
        return pd.DataFrame()
    columns = ["fold", "predicted", "actual", "lower_80", "upper_80", "lower_95", "upper_95"]
    frame = pd.DataFrame({key: series[key] for key in columns if key in series})
    frame.insert(0, "target", pd.to_datetime(series["timestamp"], utc=True))
    return frame


def backtest_figure(track: pd.DataFrame) -> dict[str, Any]:
    """Walk-forward backtest: predicted vs actual with bands, a dotted line where each fold
    (a model refit on the bars before it) begins."""
    figure = track_figure(track, mode="lines",
                          title="Walk-forward backtest: predicted vs actual, one bar ahead")
    starts = track["target"][track["fold"].diff().fillna(0) != 0]
    x = epoch_ms(pd.DatetimeIndex(starts)).tolist()
    folds = track["fold"][starts.index].tolist()
    figure["layout"]["shapes"] = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1,
         "layer": "below", "line": {"dash": "dot", "width": 1, "color": FOLD_LINE}}
        for at in x]
    figure["layout"]["annotations"] = [
        {"text": f"fold {fold}", "x": at, "xref": "x", "y": 1, "yref": "paper",
         "xanchor": "left", "yanchor": "top", "showarrow": False, "font": {"size": 10},
         "opacity": 0.7} for at, fold in zip(x, folds, strict=True)]
    return figure


def versions_table(versions: list[Any]) -> Any:
    head = html.Thead(html.Tr([html.Th(h) for h in ("Version", "Kind", "Data", "Rows",
                                                     "Created", "Verdict", "")]))
    rows = []
    for v in versions:
        summary = (v.metrics or {}).get("summary") or {}
        rows.append(html.Tr([
            html.Td(f"v{v.version}"), html.Td(v.kind),
            html.Td(f"{v.data_first:%Y-%m-%d} → {v.data_last:%Y-%m-%d}"),
            html.Td(f"{v.data_rows:,}"), html.Td(f"{v.created_at:%Y-%m-%d %H:%M}"),
            html.Td(summary.get("verdict", "—")),
            html.Td(dbc.Badge("active", color="primary") if v.active else ""),
        ]))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True,
                              className="small mb-0 versions-table"),
                    className="table-responsive")
