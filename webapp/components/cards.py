"""Metric cards: one label, one value, an optional hint, coloured only when it means something."""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    hint: str = ""
    tone: str = ""  # "", "up", "down", "warn"
    metric_id: str = ""


def metric_card(metric: Metric) -> dbc.Card:
    tone_class = {"up": "text-success", "down": "text-danger", "warn": "text-warning"}.get(
        metric.tone, "")
    body = [html.Div(metric.label, className="metric-label text-body-secondary small"),
            html.Div(metric.value, className=f"metric-value fw-semibold {tone_class}")]
    if metric.hint:
        body.append(html.Div(metric.hint, className="metric-hint text-body-secondary small"))
    attrs = {"data-metric": metric.metric_id} if metric.metric_id else {}
    return html.Div(dbc.Card(dbc.CardBody(body, className="p-2"), className="h-100"),
                    className="metric-card h-100", **attrs)


def metric_row(metrics: list[Metric]) -> dbc.Row:
    """Cards that wrap: 2 per row on phones, up to 6 on desktop."""
    return dbc.Row([dbc.Col(metric_card(m), xs=6, md=4, xl=2, className="mb-2")
                    for m in metrics], className="g-2 metric-row")


def fmt_pct(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None or value != value:  # NaN
        return "—"
    return f"{value * 100:+.{digits}f}%" if signed else f"{value * 100:.{digits}f}%"


def fmt_num(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.{digits}f}"


def tone_of(value: float | None) -> str:
    if value is None or value != value or value == 0:
        return ""
    return "up" if value > 0 else "down"
