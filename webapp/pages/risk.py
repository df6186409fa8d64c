"""Risk: metric cards, drawdown, return histogram with VaR lines, rolling volatility and the
correlation of two or more symbols. Numbers come from ``ml.analytics.risk`` (one definition
app-wide)."""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from ml.analytics import periods_per_year, risk_report, simple_returns
from ml.data import INTERVALS, DataError
from webapp import ids, loaders
from webapp.cache import cached_value, make_key
from webapp.components.banners import note_banner, problem_banner
from webapp.components.cards import Metric, fmt_num, fmt_pct, metric_row
from webapp.components.graphs import empty_figure, figure_payload, themed_graph
from webapp.components.risk_charts import (
    correlation_figure,
    correlation_matrix,
    drawdown_figure,
    histogram_figure,
    rolling_volatility_figure,
)
from webapp.components.status import data_status

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/risk", name="Risk", order=2, title="Foresight · Risk")

DEFAULT_COMPARE = "sample:GOOG, sample:EURUSD"
WATCHLIST = ("sample:SPX", "sample:GOOG", "sample:EURUSD", "AAPL", "BTC-USD", "EURUSD=X",
             "GC=F", "^GSPC")
MAX_COMPARE = 6
FIGURES = ("risk-drawdown", "risk-histogram", "risk-rolling", "risk-correlation")


def layout(symbol: str = loaders.DEFAULT_SYMBOL, interval: str = "1d",
           compare: str = DEFAULT_COMPARE, **_other: str) -> html.Div:
    interval = interval if interval in INTERVALS else "1d"
    controls = dbc.Row([
        dbc.Col(dbc.InputGroup([
            dbc.InputGroupText("Symbol"),
            dbc.Input(id=ids.RISK_SYMBOL, value=symbol, debounce=True, list="risk-symbols",
                      autocomplete="off")], size="sm"), xs=12, md=4, className="mb-2"),
        dbc.Col(dbc.Select(id=ids.RISK_INTERVAL, value=interval, size="sm",
                           options=[{"label": i, "value": i} for i in INTERVALS]),
                xs=4, md=2, className="mb-2"),
        dbc.Col(dbc.InputGroup([
            dbc.InputGroupText("Compare"),
            dbc.Input(id=ids.RISK_COMPARE, value=compare, debounce=True,
                      placeholder="other symbols, comma separated", autocomplete="off")],
            size="sm"), xs=8, md=6, className="mb-2"),
    ], className="g-2")
    return html.Div([
        html.H1("Risk", className="h3"),
        controls,
        html.Datalist(id="risk-symbols", children=[html.Option(value=s) for s in WATCHLIST]),
        html.Div(id=ids.RISK_BANNERS),
        dcc.Loading(html.Div(id=ids.RISK_CARDS), type="dot", delay_show=150),
        dbc.Row([
            dbc.Col(themed_graph("risk-drawdown"), xs=12, lg=6),
            dbc.Col(themed_graph("risk-histogram"), xs=12, lg=6),
            dbc.Col(themed_graph("risk-rolling"), xs=12, lg=6),
            dbc.Col(themed_graph("risk-correlation", min_height=360), xs=12, lg=6),
        ], className="g-2"),
    ], className="risk-page")


@callback(Output(ids.RISK_CARDS, "children"), Output(ids.RISK_BANNERS, "children"),
          *[Output({"type": ids.FIG_DATA, "name": name}, "data") for name in FIGURES],
          Input(ids.RISK_SYMBOL, "value"), Input(ids.RISK_INTERVAL, "value"),
          Input(ids.RISK_COMPARE, "value"))
def update_risk(symbol: str | None, interval: str | None,
                compare: str | None) -> tuple[Any, ...]:
    symbol = (symbol or "").strip() or loaders.DEFAULT_SYMBOL
    interval = interval if interval in INTERVALS else "1d"
    try:
        loaded = loaders.get_bars(symbol, interval)
        meta = loaded.result.meta
        report = cached_value(make_key("risk", meta.symbol, interval, loaded.version),
                              lambda: risk_report(loaded.bars, meta.asset_class, interval))
    except ValueError as error:  # DataError included: both are messages for the user
        blank = figure_payload(empty_figure(f"No risk figures for {symbol}"))
        banner = problem_banner(error, subject=symbol) if isinstance(error, DataError) \
            else note_banner(str(error), kind="risk", colour="danger")
        return (html.Div(), [banner], blank, blank, blank, blank)
    banners: list[Any] = [data_status(loaded, symbol=symbol, interval=interval)]
    banners += [note_banner(n, kind="risk-note", colour="secondary") for n in report.notes]
    returns = simple_returns(loaded.bars["close"]).to_numpy()
    periods = periods_per_year(meta.asset_class, interval)
    correlation, problems = _correlation(symbol, loaded, compare, interval)
    banners += [note_banner(p, kind="compare", icon="bi-exclamation-triangle")
                for p in problems]
    return (metric_row(_cards(report)), banners,
            figure_payload(drawdown_figure(report.drawdown)),
            figure_payload(histogram_figure(returns, list(report.tail))),
            figure_payload(rolling_volatility_figure(loaded.bars["close"], periods)),
            correlation)


def _cards(report: Any) -> list[Metric]:
    tails = {(t.method, round(t.level, 2)): t for t in report.tail}
    cards = [
        Metric("Volatility", fmt_pct(report.annualized_volatility, 1), "annualised",
               metric_id="volatility"),
        Metric("Sharpe", fmt_num(report.sharpe), "rf = 0", metric_id="sharpe"),
        Metric("Sortino", fmt_num(report.sortino), metric_id="sortino"),
        Metric("Calmar", fmt_num(report.calmar), metric_id="calmar"),
        Metric("Max drawdown", fmt_pct(report.max_drawdown.depth, 1),
               f"peak {report.max_drawdown.peak:%Y-%m-%d}" if report.max_drawdown.peak
               else "", "down", metric_id="max-drawdown"),
    ]
    for level in (0.95, 0.99):
        tail = tails.get(("historical", level))
        if tail is None:
            continue
        cards.append(Metric(f"VaR / CVaR {level:.0%}",
                            f"{fmt_pct(tail.var)} / {fmt_pct(tail.cvar)}",
                            "one-bar loss, historical", "warn", metric_id=f"var-{level:g}"))
    return cards


def _correlation(symbol: str, loaded: loaders.LoadedBars, compare: str | None,
                 interval: str) -> tuple[Any, list[str]]:
    names = [s.strip() for s in (compare or "").split(",") if s.strip()]
    names = [n for n in dict.fromkeys(names) if n.lower() != symbol.lower()][:MAX_COMPARE]
    closes = {loaded.result.meta.symbol: loaded.bars["close"]}
    problems = []
    for name in names:
        try:
            other = loaders.get_bars(name, interval)
        except DataError as error:
            problems.append(f"{name} left out of the comparison: {error}")
            continue
        closes[other.result.meta.symbol] = other.bars["close"]
    if len(closes) < 2:
        message = "Add one or more symbols to compare (comma separated)."
        return figure_payload(empty_figure(message, 200)), problems
    matrix, counts = correlation_matrix(closes, by_date=interval in {"1d", "1wk"})
    return figure_payload(correlation_figure(matrix, counts)), problems
