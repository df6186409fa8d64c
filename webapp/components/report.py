"""The validation report of an import or load, as a trader reads it: what was dropped,
repaired or flagged, and why."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

MAX_LISTED = 8


def validation_report(result: Any, filename: str) -> html.Div:
    """``result`` is a ``ml.data.BarsResult`` from an import."""
    meta, report = result.meta, result.report.to_dict()
    clean = report.get("clean", False)
    rows = [
        ("Rows read", report.get("rows_in")), ("Bars kept", report.get("rows_out")),
        ("Dropped: missing prices", report.get("nan_prices_dropped")),
        ("Dropped: price ≤ 0", report.get("non_positive_dropped")),
        ("Dropped: duplicate timestamps", report.get("duplicates_dropped")),
        ("Repaired: high < low swapped", report.get("high_low_swapped")),
        ("Repaired: range widened to open/close", report.get("range_widened")),
        ("Repaired: volume", report.get("volume_repaired")),
        ("Gaps while the market was open", report.get("gap_count")),
        ("Outlier returns (kept)", report.get("outlier_count")),
    ]
    table = dbc.Table([html.Tbody([html.Tr([html.Td(label), html.Td(
        f"{value:,}" if isinstance(value, int) else str(value), className="text-end")])
        for label, value in rows])], size="sm", className="mb-2 report-table")
    details: list[Any] = []
    if report.get("gaps"):
        details.append(html.Div("Gaps: " + "; ".join(
            f"{g['start']} → {g['end']} ({g['hours']:.0f} h)"
            for g in report["gaps"][:MAX_LISTED]), className="small"))
    if report.get("outliers"):
        details.append(html.Div("Outliers: " + "; ".join(
            f"{o['timestamp']} ({o['log_return']:+.2%})"
            for o in report["outliers"][:MAX_LISTED]), className="small"))
    notes = [*report.get("notes", []), *meta.notes]
    if notes:
        details.append(html.Ul([html.Li(n) for n in dict.fromkeys(notes)],
                               className="small mb-0"))
    colour = "success" if clean else "warning"
    link = f"/?symbol={meta.symbol}&interval={meta.interval}"
    summary = dbc.Alert([
        html.Div([html.I(className="bi bi-check-circle me-2"),
                  html.Strong(f"Imported {filename} as {meta.symbol}"),
                  f" · {meta.rows:,} {meta.interval} bars "
                  f"{meta.first:%Y-%m-%d} → {meta.last:%Y-%m-%d}"]),
        html.Div("Clean: nothing was dropped, repaired or flagged." if clean else
                 "Imported with findings: see the report below.", className="small mt-1"),
        dcc.Link([html.I(className="bi bi-graph-up me-1"), "Open in Market"], href=link,
                 className="alert-link small"),
    ], color=colour, className="mb-2")
    return html.Div([summary, table, *details], className="import-report",
                    **{"data-symbol": meta.symbol})
