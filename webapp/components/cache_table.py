"""The cache browser: which symbols and intervals are stored, how many bars, how fresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html
from sqlalchemy import Engine, func, select

from ml.db.schema import bars, fetch_state, symbols
from webapp.components.status import fetched_ago


def cached_series(engine: Engine) -> list[dict[str, Any]]:
    """One row per cached (symbol, interval): bar count, range, last fetch, asset class."""
    counts = (select(bars.c.symbol, bars.c.interval, func.count().label("rows"),
                     func.min(bars.c.ts).label("first"), func.max(bars.c.ts).label("last"))
              .group_by(bars.c.symbol, bars.c.interval).subquery())
    query = (select(counts, fetch_state.c.fetched_at, fetch_state.c.source,
                    symbols.c.asset_class, symbols.c.name)
             .select_from(counts
                          .outerjoin(fetch_state, (fetch_state.c.symbol == counts.c.symbol)
                                     & (fetch_state.c.interval == counts.c.interval))
                          .outerjoin(symbols, symbols.c.symbol == counts.c.symbol))
             .order_by(counts.c.symbol, counts.c.interval))
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _when(epoch: int | None) -> str:
    """Date only for bars labelled at midnight (daily, weekly), else date and time."""
    if epoch is None:
        return "—"
    stamp = pd.Timestamp(epoch, unit="s", tz="UTC")
    return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M}"


def _fetched(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return fetched_ago((dt.datetime.now(dt.UTC) - value).total_seconds())


def cache_table(engine: Engine) -> Any:
    rows = cached_series(engine)
    if not rows:
        return dbc.Alert("Nothing cached yet: open a symbol on the Market page or import a "
                         "CSV file.", color="secondary", className="small")
    header = html.Thead(html.Tr([html.Th(h) for h in (
        "Symbol", "Interval", "Bars", "From", "To", "Fetched", "Class")]))
    body = html.Tbody([html.Tr([
        html.Td(dcc.Link(r["symbol"], href=f"/?symbol={r['symbol']}&interval={r['interval']}")),
        html.Td(r["interval"]), html.Td(f"{r['rows']:,}", className="text-end"),
        html.Td(_when(r["first"])), html.Td(_when(r["last"])),
        html.Td(_fetched(r["fetched_at"])), html.Td(r["asset_class"] or "—"),
    ]) for r in rows])
    return html.Div(dbc.Table([header, body], size="sm", hover=True, striped=True,
                              className="mb-0 cache-table small"),
                    className="table-responsive")
