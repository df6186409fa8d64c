"""The line under every chart that says where the data comes from and how old it is."""

from __future__ import annotations

from typing import Any

from dash import html

from ml.data import human_age


def fetched_ago(seconds: float | None) -> str:
    return "never fetched" if seconds is None else f"{human_age(seconds)} ago"


def _when(timestamp: Any, interval: str) -> str:
    if timestamp is None:
        return "?"
    fmt = "%Y-%m-%d" if interval in {"1d", "1wk"} else "%Y-%m-%d %H:%M"
    return f"{timestamp:{fmt}}"


def data_status(loaded: Any | None, *, symbol: str, interval: str) -> html.Div:
    """Source, bar range and age; ``loaded`` is a ``webapp.loaders.LoadedBars`` or None."""
    if loaded is None:
        return html.Div([html.I(className="bi bi-database-x me-1"),
                         f"{symbol} · {interval}: no data loaded"], className="data-status")
    meta = loaded.result.meta
    name = f" ({meta.name})" if meta.name else ""
    return html.Div([
        html.Span([html.I(className="bi bi-database me-1"), html.Strong(meta.symbol), name,
                   f" · {interval}"], className="me-2"),
        html.Span(f"Source: {meta.source}", className="me-2 data-source"),
        html.Span(f"{meta.rows:,} bars {_when(meta.first, interval)} → "
                  f"{_when(meta.last, interval)}", className="me-2"),
        html.Span(f"Fetched {fetched_ago(loaded.age_s())}", className="data-age"),
    ], className="data-status d-flex flex-wrap")
