"""Market (home): candles, volume, indicators, forecast fan, metric cards, multi-timeframe view
and replay. The page state (symbol, interval, indicators) lives in the URL query, so a view can
be shared: ``/?symbol=sample:SPX&interval=1d&ind=sma:period=50,rsi:period=14``.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from ml.analytics import get_spec, periods_per_year
from ml.data import INTERVALS, DataError
from ml.data.errors import NetworkError, RateLimitedError
from ml.data.intervals import interval_seconds
from webapp import ids, loaders, services
from webapp.components.banners import note_banner, problem_banner
from webapp.components.cache_table import cached_series
from webapp.components.cards import Metric, fmt_num, fmt_pct, metric_row, tone_of
from webapp.components.graphs import empty_figure, figure_payload, graph_id, themed_graph
from webapp.components.indicator_choice import (
    MAX_INDICATORS,
    IndicatorChoice,
    make_choice,
    parse_tokens,
    registry_options,
)
from webapp.components.market_chart import ForecastBands
from webapp.components.mtf import mtf_figure, mtf_intervals
from webapp.components.replay import (
    REPLAY_START_FRACTION,
    REPLAY_STEP_BARS,
    live_update,
    replay_figure,
    replay_patch,
)
from webapp.components.status import data_status

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/", name="Market", order=0, title="Foresight · Market")

WATCHLIST = ("sample:SPX", "sample:GOOG", "sample:EURUSD", "AAPL", "BTC-USD", "EURUSD=X",
             "GC=F", "^GSPC")
DEFAULT_INTERVAL = "1d"
DEFAULT_INDICATORS = "sma:period=50,bbands:period=20:stddev=2,rsi:period=14"
VOLATILITY_WINDOW = 60
MTF_PANELS = 3
DEFAULT_PICK = "ema"


def layout(symbol: str = loaders.DEFAULT_SYMBOL, interval: str = DEFAULT_INTERVAL,
           ind: str = DEFAULT_INDICATORS, **_other: str) -> html.Div:
    symbol = (symbol or loaders.DEFAULT_SYMBOL).strip()
    interval = interval if interval in INTERVALS else DEFAULT_INTERVAL
    choices, _problems = parse_tokens(ind)
    return html.Div([
        dcc.Store(id=ids.MARKET_IND_ACTIVE, data=[c.token for c in choices]),
        dcc.Store(id=ids.MARKET_PLAN),
        dcc.Store(id=ids.MARKET_URL_SYNC),
        dcc.Store(id=ids.MARKET_REPLAY_STATE),
        dcc.Store(id=ids.MARKET_MTF_LINK),
        dcc.Store(id=ids.MARKET_FIT),
        dcc.Interval(id=ids.MARKET_REPLAY_TIMER, interval=600, disabled=True),
        dcc.Interval(id=ids.MARKET_LIVE_TIMER, interval=60_000, disabled=True),
        dcc.Store(id=ids.MARKET_LIVE),
        dcc.Store(id=ids.MARKET_LIVE_APPLIED),
        _controls(symbol, interval, choices),
        html.Div(id=ids.MARKET_BANNERS),
        html.Div(id=ids.MARKET_DATA_INFO, className="data-info small text-body-secondary mb-2"),
        dcc.Loading(html.Div(id=ids.MARKET_CARDS), type="dot", delay_show=150),
        dbc.Tabs([
            dbc.Tab(_chart_tab(), label="Chart", tab_id="chart"),
            dbc.Tab(_mtf_tab(), label="Multi-timeframe", tab_id="mtf"),
        ], id=ids.MARKET_TABS, active_tab="chart", className="mt-2"),
    ], className="market-page")


def _controls(symbol: str, interval: str, choices: list[IndicatorChoice]) -> html.Div:
    watch = html.Div([
        dbc.Button(s, id={"type": ids.MARKET_WATCH, "symbol": s}, size="sm",
                   color="secondary", outline=True, className="me-1 mb-1 watch-item")
        for s in WATCHLIST], className="watchlist", **{"aria-label": "Watchlist"})
    symbol_input = dbc.InputGroup([
        dbc.InputGroupText(html.I(className="bi bi-search")),
        dbc.Input(id=ids.MARKET_SYMBOL, value=symbol, type="text", debounce=True,
                  list=ids.MARKET_SYMBOLS_LIST, placeholder="Symbol, e.g. AAPL or sample:SPX",
                  autocomplete="off"),
    ], size="sm")
    datalist = html.Datalist(id=ids.MARKET_SYMBOLS_LIST, children=[
        html.Option(value=s, label=label) for s, label in symbol_suggestions()])
    interval_select = dbc.Select(id=ids.MARKET_INTERVAL, value=interval, size="sm",
                                 options=[{"label": i, "value": i} for i in INTERVALS])
    picker = dbc.InputGroup([
        dbc.Select(id=ids.MARKET_IND_PICK, options=registry_options(), value=DEFAULT_PICK),
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add"], id=ids.MARKET_IND_ADD,
                   color="primary", n_clicks=0),
    ], size="sm")
    return html.Div([
        dbc.Row([
            dbc.Col(symbol_input, xs=8, md=4, lg=3, className="mb-2"),
            dbc.Col(interval_select, xs=4, md=2, lg=1, className="mb-2"),
            dbc.Col(picker, xs=12, md=6, lg=4, className="mb-2"),
            dbc.Col(html.Div(show_parameters(DEFAULT_PICK), id=ids.MARKET_IND_PARAMS,
                             className="d-flex flex-wrap gap-2"),
                    xs=12, lg=4, className="mb-2"),
        ], className="g-2 align-items-center"),
        datalist,
        watch,
        html.Div(show_chips([c.token for c in choices]), id=ids.MARKET_IND_CHIPS,
                 className="d-flex flex-wrap gap-1 mb-1"),
        html.Div(id=ids.MARKET_IND_MESSAGE, className="small text-danger"),
    ], className="market-controls")


def symbol_suggestions() -> list[tuple[str, str]]:
    """The watchlist, then every other cached symbol (imported CSVs included), with names."""
    names: dict[str, str] = {s: "watchlist" for s in WATCHLIST}
    try:
        rows = cached_series(services.database())
    except Exception as error:  # noqa: BLE001 - suggestions are a convenience
        logger.warning("listing cached symbols for suggestions failed: %s", error)
        rows = []
    for row in rows:
        names.setdefault(row["symbol"], row.get("name") or "cached")
        if row.get("name") and names[row["symbol"]] == "watchlist":
            names[row["symbol"]] = row["name"]
    return list(names.items())


def _chart_tab() -> html.Div:
    replay = html.Div([
        dbc.Button([html.I(className="bi bi-play-fill me-1"), "Replay"],
                   id=ids.MARKET_REPLAY_TOGGLE, size="sm", color="secondary", outline=True,
                   n_clicks=0, disabled=True,
                   title="Step through the history of sample or imported data bar by bar"),
        html.Span(id=ids.MARKET_REPLAY_STATUS, className="small text-body-secondary ms-2"),
    ], className="d-flex align-items-center my-2")
    return html.Div([replay, *themed_graph("market", min_height=520)], className="pt-1")


def _mtf_tab() -> html.Div:
    # The panels are created when the tab is first opened: three empty graphs drawn behind a
    # hidden tab cost the Market page's first chart about 0.15 s (docs/ui.md).
    return html.Div([
        html.Div("The same symbol at coarser intervals; zooming one zooms the others.",
                 className="small text-body-secondary my-2"),
        dbc.Row([], className="g-2", id=ids.MARKET_MTF)])


def mtf_columns(payloads: list[dict[str, Any]]) -> list[Any]:
    return [dbc.Col(themed_graph(f"mtf-{n}", min_height=300, payload=payload), xs=12, lg=4)
            for n, payload in enumerate(payloads)]


# --- indicators: pick, parameters, add, remove -----------------------------------------------

@callback(Output(ids.MARKET_IND_PARAMS, "children"), Input(ids.MARKET_IND_PICK, "value"),
          prevent_initial_call=True)
def show_parameters(name: str | None) -> list[Any]:
    if not name:
        return []
    spec = get_spec(name)
    fields = []
    for param in spec.params:
        field_id = {"type": ids.MARKET_IND_PARAM, "name": param.name}
        if param.kind == "choice":
            control = dbc.Select(id=field_id, value=str(param.default),
                                 options=[{"label": c, "value": c} for c in param.choices])
        else:
            control = dbc.Input(id=field_id, type="number", value=param.default,
                                min=param.minimum, max=param.maximum,
                                step=1 if param.kind == "int" else "any",
                                style={"width": "5.5rem"})
        fields.append(html.Div(dbc.InputGroup([dbc.InputGroupText(param.name), control],
                                              size="sm"),
                               className="w-auto", title=param.description))
    return fields


@callback(Output(ids.MARKET_IND_ACTIVE, "data"), Output(ids.MARKET_IND_MESSAGE, "children"),
          Input(ids.MARKET_IND_ADD, "n_clicks"),
          Input({"type": ids.MARKET_IND_REMOVE, "token": ALL}, "n_clicks"),
          State(ids.MARKET_IND_PICK, "value"),
          State({"type": ids.MARKET_IND_PARAM, "name": ALL}, "value"),
          State({"type": ids.MARKET_IND_PARAM, "name": ALL}, "id"),
          State(ids.MARKET_IND_ACTIVE, "data"),
          prevent_initial_call=True)
def change_indicators(add_clicks: int, removes: list[int | None], name: str | None,
                      values: list[Any], field_ids: list[dict[str, str]],
                      active: list[str] | None) -> tuple[Any, str]:
    active = list(active or [])
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == ids.MARKET_IND_REMOVE:
        if not any(removes):
            raise PreventUpdate  # a chip was (re)rendered, not clicked
        return [t for t in active if t != trigger["token"]], ""
    if not name or not add_clicks:
        raise PreventUpdate
    params = {f["name"]: _number_or_text(v) for f, v in zip(field_ids, values, strict=True)
              if v is not None and v != ""}
    try:
        choice = make_choice(name, params)
    except ValueError as error:
        return no_update, str(error)
    if choice.token in active:
        return no_update, f"{choice.label} is already on the chart"
    if len(active) >= MAX_INDICATORS:
        return no_update, f"at most {MAX_INDICATORS} indicators at once"
    return [*active, choice.token], ""


def _number_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@callback(Output(ids.MARKET_IND_CHIPS, "children"), Input(ids.MARKET_IND_ACTIVE, "data"),
          prevent_initial_call=True)
def show_chips(active: list[str] | None) -> list[Any]:
    choices, _ = parse_tokens(active or [])
    return [dbc.Badge([c.label, html.Button(
        html.I(className="bi bi-x"), id={"type": ids.MARKET_IND_REMOVE, "token": c.token},
        className="chip-remove", n_clicks=0, title=f"Remove {c.label}",
        **{"aria-label": f"Remove {c.label}"})],
        color="secondary", className="indicator-chip d-inline-flex align-items-center",
        pill=True) for c in choices]


@callback(Output(ids.MARKET_SYMBOL, "value"),
          Input({"type": ids.MARKET_WATCH, "symbol": ALL}, "n_clicks"),
          prevent_initial_call=True)
def pick_from_watchlist(clicks: list[int | None]) -> str:
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    return str(ctx.triggered_id["symbol"])


# --- the main chart --------------------------------------------------------------------------

@callback(Output({"type": ids.FIG_DATA, "name": "market"}, "data"),
          Output(ids.MARKET_PLAN, "data"),
          Output(ids.MARKET_CARDS, "children"),
          Output(ids.MARKET_BANNERS, "children"),
          Output(ids.MARKET_DATA_INFO, "children"),
          Output(ids.MARKET_REPLAY_TOGGLE, "disabled"),
          Output(ids.MARKET_REPLAY_TIMER, "disabled"),
          Output(ids.MARKET_REPLAY_STATUS, "children"),
          Output(ids.MARKET_LIVE_TIMER, "disabled"),
          Output(ids.MARKET_LIVE_TIMER, "interval"),
          Input(ids.MARKET_SYMBOL, "value"),
          Input(ids.MARKET_INTERVAL, "value"),
          Input(ids.MARKET_IND_ACTIVE, "data"))
def update_market(symbol: str | None, interval: str | None,
                  tokens: list[str] | None) -> tuple[Any, ...]:
    """Load (cached) bars, build (cached) figure, cards and banners for the current state."""
    symbol = (symbol or "").strip() or loaders.DEFAULT_SYMBOL
    interval = interval if interval in INTERVALS else DEFAULT_INTERVAL
    choices, token_problems = parse_tokens(tokens or [])
    try:
        loaded = loaders.get_bars(symbol, interval)
    except DataError as error:
        return (figure_payload(empty_figure(f"No chart for {symbol}")), None,
                metric_row(_empty_metrics()), [problem_banner(error, subject=symbol)],
                data_status(None, symbol=symbol, interval=interval), True, True, "", True,
                no_update)
    forecast, forecast_payload = loaders.get_forecast(loaded.result.meta.symbol, interval,
                                                      loaded.result.meta.asset_class)
    version = str(forecast_payload.get("made_at", "")) if forecast_payload else ""
    market, indicator_problems = loaders.get_market_figure(loaded, choices, forecast, version)
    banners = _banners(loaded, token_problems + indicator_problems, forecast_payload)
    static = loaders.is_static(symbol)
    live = {"plan": market.plan, "symbol": symbol, "interval": interval,
            "tokens": [c.token for c in choices], "last": str(loaded.bars.index[-1])}
    return (figure_payload(market.figure), live,
            metric_row(_metrics(loaded, forecast)), banners,
            data_status(loaded, symbol=symbol, interval=interval), not static, True, "",
            static, 1000 * loaders.refresh_period_s(symbol, interval))


# --- live: new bars of a live provider are appended in the browser (extendTraces) -------------

@callback(Output(ids.MARKET_LIVE, "data"),
          Output(ids.MARKET_PLAN, "data", allow_duplicate=True),
          Output(ids.MARKET_DATA_INFO, "children", allow_duplicate=True),
          Input(ids.MARKET_LIVE_TIMER, "n_intervals"),
          State(ids.MARKET_PLAN, "data"),
          prevent_initial_call=True)
def live_step(_ticks: int, live: dict[str, Any] | None) -> tuple[Any, ...]:
    """On the interval's clock: the bars that closed since the chart was drawn, if any."""
    if not live:
        raise PreventUpdate
    try:
        loaded = loaders.get_bars(live["symbol"], live["interval"])
    except DataError:
        raise PreventUpdate from None  # the banner from the last full load still stands
    status = data_status(loaded, symbol=live["symbol"], interval=live["interval"])
    new = loaded.bars[loaded.bars.index > pd.Timestamp(live["last"])]
    if new.empty:
        return no_update, no_update, status
    choices, _ = parse_tokens(live["tokens"])
    update = live_update(loaded, _computed(loaded, choices), live["plan"], len(new))
    return update, {**live, "last": str(loaded.bars.index[-1])}, status


def _empty_metrics() -> list[Metric]:
    return [Metric("Last price", "—"), Metric("Change", "—"), Metric("Volatility", "—"),
            Metric("Forecast move", "—")]


def _metrics(loaded: loaders.LoadedBars, forecast: ForecastBands | None) -> list[Metric]:
    meta = loaded.result.meta
    close = loaded.bars["close"].to_numpy(dtype=np.float64)
    last = float(close[-1])
    change = close[-1] / close[-2] - 1 if len(close) > 1 else None
    returns = np.diff(np.log(close[-(VOLATILITY_WINDOW + 1):]))
    volatility = None
    if len(returns) >= 2:
        try:
            volatility = float(np.std(returns, ddof=1) *
                               np.sqrt(periods_per_year(meta.asset_class, meta.interval)))
        except ValueError:
            volatility = None
    decimals = 2 if last >= 10 else 4 if last >= 1 else 6
    move_text, move_hint, move = "—", "no stored forecast", None
    if forecast is not None:
        move = float(forecast.median[-1]) / last - 1
        move_text = fmt_pct(move, signed=True)
        move_hint = (f"{len(forecast.median)} bars ahead; 80% "
                     f"{fmt_num(float(forecast.lower_80[-1]), decimals)}–"
                     f"{fmt_num(float(forecast.upper_80[-1]), decimals)}")
    return [
        Metric("Last price", fmt_num(last, decimals), meta.currency, metric_id="last"),
        Metric("Change", fmt_pct(change, signed=True), f"vs previous {meta.interval} bar",
               tone_of(change), metric_id="change"),
        Metric("Volatility", fmt_pct(volatility, 1),
               f"annualised, last {min(VOLATILITY_WINDOW, len(returns))} bars",
               metric_id="volatility"),
        Metric("Forecast move", move_text, move_hint, tone_of(move), metric_id="forecast"),
    ]


def _banners(loaded: loaders.LoadedBars, problems: list[str],
             forecast_payload: dict[str, Any] | None) -> list[Any]:
    meta = loaded.result.meta
    banners: list[Any] = []
    for note in meta.notes:
        if "cached bars instead" in note:
            banners.append(note_banner(note, kind="no-network", icon="bi-wifi-off"))
    stale = _stale_text(loaded)
    if stale:
        banners.append(note_banner(stale, kind="stale", icon="bi-clock-history"))
    for problem in problems:
        banners.append(note_banner(problem, kind="indicator", colour="danger",
                                   icon="bi-exclamation-triangle"))
    if forecast_payload is None and not banners:
        return []
    return banners


def _stale_text(loaded: loaders.LoadedBars) -> str:
    """Live data whose last bar is much older than its interval (markets closed allowed for)."""
    meta = loaded.result.meta
    if loaders.is_static(meta.symbol) or meta.last is None:
        return ""
    now = dash_now()
    allowed = 3 * interval_seconds(meta.interval) + (0 if meta.asset_class == "crypto"
                                                     else 4 * 86_400)
    behind = (now - meta.last).total_seconds()
    if behind <= allowed:
        return ""
    return (f"Stale data: the last {meta.interval} bar of {meta.symbol} is from "
            f"{meta.last:%Y-%m-%d %H:%M} UTC ({behind / 86_400:.1f} days ago); the provider has "
            "not delivered newer bars.")


def dash_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


# --- replay (sample and imported data) -------------------------------------------------------

@callback(Output({"type": ids.FIG_DATA, "name": "market"}, "data", allow_duplicate=True),
          Output(ids.MARKET_REPLAY_STATE, "data"),
          Output(ids.MARKET_REPLAY_TIMER, "disabled", allow_duplicate=True),
          Output(ids.MARKET_REPLAY_STATUS, "children", allow_duplicate=True),
          Input(ids.MARKET_REPLAY_TOGGLE, "n_clicks"),
          State(ids.MARKET_REPLAY_TIMER, "disabled"),
          State(ids.MARKET_SYMBOL, "value"), State(ids.MARKET_INTERVAL, "value"),
          State(ids.MARKET_IND_ACTIVE, "data"),
          prevent_initial_call=True)
def toggle_replay(_clicks: int, stopped: bool, symbol: str, interval: str,
                  tokens: list[str] | None) -> tuple[Any, ...]:
    if not stopped:
        return no_update, no_update, True, "Replay paused."
    choices, _ = parse_tokens(tokens or [])
    try:
        loaded = loaders.get_bars(symbol, interval)
    except DataError as error:
        return no_update, None, True, str(error)
    start = max(2, int(len(loaded.bars) * REPLAY_START_FRACTION))
    figure = replay_figure(loaded, _computed(loaded, choices), start)
    state = {"symbol": symbol, "interval": interval, "tokens": [c.token for c in choices],
             "position": start, "end": len(loaded.bars)}
    return (figure_payload(figure), state, False,
            f"Replaying from {loaded.bars.index[start - 1]:%Y-%m-%d %H:%M}.")


@callback(Output(ids.MARKET_REPLAY_TOGGLE, "children"),
          Input(ids.MARKET_REPLAY_TIMER, "disabled"), prevent_initial_call=True)
def replay_label(stopped: bool) -> list[Any]:
    """The button says what a click will do, whoever stopped or started the clock."""
    if stopped is False:
        return [html.I(className="bi bi-pause-fill me-1"), "Pause"]
    return [html.I(className="bi bi-play-fill me-1"), "Replay"]


def _computed(loaded: loaders.LoadedBars, choices: list[IndicatorChoice]
              ) -> list[tuple[IndicatorChoice, Any]]:
    out = []
    for choice in choices:
        try:
            out.append((choice, loaders.get_indicator(loaded, choice)))
        except ValueError:
            continue
    return out


@callback(Output(graph_id("market"), "figure", allow_duplicate=True),
          Output(ids.MARKET_REPLAY_STATE, "data", allow_duplicate=True),
          Output(ids.MARKET_REPLAY_STATUS, "children", allow_duplicate=True),
          Output(ids.MARKET_REPLAY_TIMER, "disabled", allow_duplicate=True),
          Input(ids.MARKET_REPLAY_TIMER, "n_intervals"),
          State(ids.MARKET_REPLAY_STATE, "data"),
          prevent_initial_call=True)
def replay_step(_ticks: int, state: dict[str, Any] | None) -> tuple[Any, ...]:
    """Append the next bars with a Patch: the browser extends the traces, nothing is redrawn."""
    if not state:
        raise PreventUpdate
    try:
        loaded = loaders.get_bars(state["symbol"], state["interval"])
    except DataError as error:
        return no_update, None, str(error), True
    choices, _ = parse_tokens(state["tokens"])
    position = int(state["position"])
    stop = min(position + REPLAY_STEP_BARS, len(loaded.bars))
    if position >= stop:
        return no_update, state, "Replay finished: every bar is shown.", True
    patch: Patch = replay_patch(loaded, _computed(loaded, choices), position, stop)
    state = {**state, "position": stop}
    shown = loaded.bars.index[stop - 1]
    return patch, state, f"Replay: bar {stop} of {len(loaded.bars)} ({shown:%Y-%m-%d %H:%M})", \
        stop >= len(loaded.bars)


# --- multi-timeframe ---------------------------------------------------------------------------

@callback(Output(ids.MARKET_MTF, "children"),
          Input(ids.MARKET_TABS, "active_tab"),
          Input(ids.MARKET_SYMBOL, "value"), Input(ids.MARKET_INTERVAL, "value"),
          prevent_initial_call=True)
def update_mtf(tab: str, symbol: str | None, interval: str | None) -> list[Any]:
    if tab != "mtf":
        raise PreventUpdate  # drawn only when looked at
    symbol = (symbol or "").strip() or loaders.DEFAULT_SYMBOL
    interval = interval if interval in INTERVALS else DEFAULT_INTERVAL
    payloads: list[Any] = []
    first_error: DataError | None = None
    for panel_interval in mtf_intervals(interval):
        if len(payloads) == MTF_PANELS:
            break
        try:
            loaded = loaders.get_bars(symbol, panel_interval)
        except DataError as error:
            first_error = first_error or error
            if isinstance(error, (NetworkError, RateLimitedError)):
                break  # the provider is out: trying other intervals only waits longer
            continue
        payloads.append(figure_payload(mtf_figure(loaded.bars, symbol, panel_interval)))
    message = str(first_error) if first_error and not payloads else \
        "no other interval for this source"
    while len(payloads) < MTF_PANELS:
        payloads.append(figure_payload(empty_figure(message, 300)))
    return mtf_columns(payloads)


clientside_callback(
    ClientsideFunction(namespace="market", function_name="applyLive"),
    Output(ids.MARKET_LIVE_APPLIED, "data"),
    Input(ids.MARKET_LIVE, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="market", function_name="fitVisible"),
    Output(ids.MARKET_FIT, "data"),
    Input(graph_id("market"), "relayoutData"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction(namespace="market", function_name="linkRanges"),
    Output(ids.MARKET_MTF_LINK, "data"),
    Input({"type": ids.FIG_GRAPH, "name": ALL}, "relayoutData"),
    prevent_initial_call=True,
)

# The page state goes into the address bar (replaceState: no reload, no new history entry).
clientside_callback(
    ClientsideFunction(namespace="market", function_name="syncUrl"),
    Output(ids.MARKET_URL_SYNC, "data"),
    Input(ids.MARKET_SYMBOL, "value"), Input(ids.MARKET_INTERVAL, "value"),
    Input(ids.MARKET_IND_ACTIVE, "data"),
)
