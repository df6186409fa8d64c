"""Forecast: the model card of a symbol and interval, read from the registry, the forecast
store and finished backtest jobs. Nothing here trains or predicts: workers do (the web never
imports Keras); the backtest button queues a job and follows its progress.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ml.data import INTERVALS, DataError
from ml.forecast import forecast_history, registry
from webapp import auth, ids, jobs, loaders, services
from webapp.components.arrays import price_decimals
from webapp.components.banners import note_banner, problem_banner
from webapp.components.forecast_view import (
    backtest_figure,
    backtest_track,
    coverage_list,
    fan_figure,
    folds_figure,
    forecast_table,
    metrics_table,
    residual_figure,
    skill_badge,
    track_figure,
    track_record,
    versions_table,
)
from webapp.components.graphs import figure_payload, themed_graph
from webapp.components.status import data_status

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/forecast", name="Forecast", order=1,
                   title="Foresight · Forecast")

HISTORY_LIMIT = 300


def layout(symbol: str = loaders.DEFAULT_SYMBOL, interval: str = "1d", **_other: str) -> html.Div:
    interval = interval if interval in INTERVALS else "1d"
    return html.Div([
        html.H1("Forecast", className="h3"),
        dbc.Row([
            dbc.Col(dbc.InputGroup([
                dbc.InputGroupText("Symbol"),
                dbc.Input(id=ids.FORECAST_SYMBOL, value=symbol, debounce=True,
                          autocomplete="off")], size="sm"), xs=8, md=4, className="mb-2"),
            dbc.Col(dbc.Select(id=ids.FORECAST_INTERVAL, value=interval, size="sm",
                               options=[{"label": i, "value": i} for i in INTERVALS]),
                    xs=4, md=2, className="mb-2"),
            dbc.Col(dbc.Button([html.I(className="bi bi-play-circle me-1"), "Run backtest"],
                               id=ids.FORECAST_BACKTEST, size="sm", color="primary",
                               n_clicks=0), xs=12, md="auto", className="mb-2"),
        ], className="g-2 align-items-center"),
        dcc.Interval(id=ids.FORECAST_JOB_TIMER, interval=1500, disabled=True),
        dcc.Store(id=ids.FORECAST_JOB),
        dcc.Store(id=ids.FORECAST_JOB_DONE),
        html.Div(id=ids.FORECAST_JOB_STATUS, className="mb-2"),
        dcc.Loading(html.Div(id=ids.FORECAST_BODY), type="dot", delay_show=150),
        dbc.Row([
            dbc.Col(themed_graph("forecast-fan"), xs=12, lg=6),
            dbc.Col(themed_graph("forecast-track", min_height=180), xs=12, lg=6),
            dbc.Col(themed_graph("forecast-residuals", min_height=180), xs=12, lg=6),
            dbc.Col(themed_graph("forecast-folds", min_height=180), xs=12, lg=6),
            dbc.Col(themed_graph("forecast-backtest", min_height=180), xs=12),
        ], className="g-2 mt-1"),
    ], className="forecast-page")


@callback(Output(ids.FORECAST_BODY, "children"),
          Output({"type": ids.FIG_DATA, "name": "forecast-fan"}, "data"),
          Output({"type": ids.FIG_DATA, "name": "forecast-track"}, "data"),
          Output({"type": ids.FIG_DATA, "name": "forecast-residuals"}, "data"),
          Output({"type": ids.FIG_DATA, "name": "forecast-folds"}, "data"),
          Output({"type": ids.FIG_DATA, "name": "forecast-backtest"}, "data"),
          Input(ids.FORECAST_SYMBOL, "value"), Input(ids.FORECAST_INTERVAL, "value"),
          Input(ids.FORECAST_JOB_DONE, "data"))
def update_forecast(symbol: str | None, interval: str | None,
                    _finished: Any) -> tuple[Any, ...]:
    symbol = (symbol or "").strip() or loaders.DEFAULT_SYMBOL
    interval = interval if interval in INTERVALS else "1d"
    try:
        loaded = loaders.get_bars(symbol, interval)
    except DataError as error:
        blank = figure_payload(_blank("No data"))
        return [problem_banner(error, subject=symbol)], blank, blank, blank, blank, blank
    meta = loaded.result.meta
    bands, payload = loaders.get_forecast(meta.symbol, interval, meta.asset_class)
    engine = services.database()
    versions = registry.list_versions(engine, meta.symbol, interval)
    active = next((v for v in versions if v.active), None)
    history = forecast_history(engine, meta.symbol, interval, limit=HISTORY_LIMIT)
    track = track_record(history, loaded.bars)
    backtest = _latest_backtest(meta.symbol, interval)
    body = [data_status(loaded, symbol=symbol, interval=interval),
            _model_card(active, versions, bands, payload, price_decimals(loaded.bars["close"]),
                        backtest)]
    enough = len(track) >= 2
    backtest_points = backtest_track(backtest)
    return (body, figure_payload(fan_figure(loaded.bars, bands)),
            figure_payload(track_figure(track) if enough else _blank(
                "The track record appears once stored forecasts have been followed by new "
                "bars.")),
            figure_payload(residual_figure(track) if enough else _blank(
                "Residuals need at least two scored forecasts.")),
            figure_payload(folds_figure(backtest) if backtest and backtest.get("folds") else
                           _blank("No walk-forward backtest yet: press Run backtest.")),
            figure_payload(backtest_figure(backtest_points) if len(backtest_points) >= 2 else
                           _blank("Predicted vs actual of the walk-forward backtest appears "
                                  "here once a backtest has run.")))


def _blank(message: str) -> dict[str, Any]:
    from webapp.components.graphs import empty_figure

    return empty_figure(message, 180)


def _model_card(active: Any, versions: list[Any], bands: Any, payload: dict[str, Any] | None,
                decimals: int, backtest: dict[str, Any] | None) -> Any:
    if active is None:
        intro = note_banner("No trained model for this symbol and interval yet. Train one with "
                            "`python -m ml train SYMBOL --interval INTERVAL` or from the admin "
                            "page; a worker then stores its forecasts here.",
                            kind="no-model", colour="secondary", icon="bi-cpu")
        return html.Div([intro, _backtest_section(backtest)])
    metrics = active.metrics or {}
    summary = metrics.get("summary")
    header = html.Div([
        html.H2([f"Model v{active.version} ", html.Small(active.kind,
                                                         className="text-body-secondary")],
                className="h5 mb-1 me-2"),
        skill_badge(summary),
    ], className="d-flex align-items-center flex-wrap gap-2")
    facts = html.Div(
        f"Trained on {active.data_rows:,} bars {active.data_first:%Y-%m-%d} → "
        f"{active.data_last:%Y-%m-%d}; target: {active.target}; "
        f"{metrics.get('samples', '?')} test samples.", className="small text-body-secondary")
    forecast_part: Any = note_banner("No stored forecast yet: a worker stores one after "
                                     "training and whenever a new bar closes.",
                                     kind="no-forecast", colour="secondary")
    if bands is not None:
        forecast_part = html.Div([
            html.Div(f"Made {_stamp((payload or {}).get('made_at'))} from the bar of "
                     f"{_stamp((payload or {}).get('origin'))}",
                     className="small text-body-secondary mb-1"),
            forecast_table(bands, decimals)])
    return dbc.Card(dbc.CardBody([
        header, facts,
        html.H3("Forecast", className="h6 mt-3"), forecast_part,
        html.H3("Test metrics beside the baselines", className="h6 mt-3"),
        metrics_table(metrics.get("horizons") or {}),
        html.Div("Theil's U < 1 and a DM p-value below 0.05 are needed for \"skill\"; "
                 "direction is the share of correct signs with its binomial interval.",
                 className="small text-body-secondary mt-1"),
        html.H3("Interval coverage", className="h6 mt-3"), coverage_list(summary),
        _backtest_section(backtest),
        html.H3("Version history", className="h6 mt-3"), versions_table(versions),
    ]), className="model-card")


def _stamp(value: Any) -> str:
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"
    except (TypeError, ValueError):
        return "?"


def _backtest_section(backtest: dict[str, Any] | None) -> Any:
    if not backtest:
        return html.Div()
    summary = backtest.get("summary") or {}
    period = backtest.get("period") or {}
    return html.Div([
        html.H3("Latest walk-forward backtest", className="h6 mt-3"),
        html.Div([skill_badge(summary), html.Span(
            f" {len(backtest.get('folds') or [])} folds, {backtest.get('samples', '?')} "
            f"samples, {period.get('first', '?')[:10]} → {period.get('last', '?')[:10]}",
            className="small ms-2")], className="d-flex align-items-center flex-wrap"),
        metrics_table(backtest.get("horizons") or {}),
    ], className="backtest-section")


def _latest_backtest(symbol: str, interval: str) -> dict[str, Any] | None:
    """The report of the newest finished backtest job for this symbol and interval."""
    try:
        rows = jobs.list_jobs(task="run_backtest", states=("SUCCESS",), limit=20)
    except Exception as error:  # noqa: BLE001 - the card still shows without it
        logger.warning("listing backtest jobs failed: %s", error)
        return None
    for row in rows:
        result = row.get("result") or {}
        if result.get("symbol") == symbol and result.get("interval") == interval:
            return result.get("report")
    return None


# --- the backtest button and its progress -----------------------------------------------------

@callback(Output(ids.FORECAST_JOB, "data"), Output(ids.FORECAST_JOB_TIMER, "disabled"),
          Output(ids.FORECAST_JOB_STATUS, "children"),
          Output(ids.JOBS_STORE, "data"),
          Input(ids.FORECAST_BACKTEST, "n_clicks"),
          State(ids.FORECAST_SYMBOL, "value"), State(ids.FORECAST_INTERVAL, "value"),
          State(ids.JOBS_STORE, "data"),
          prevent_initial_call=True)
def start_backtest(clicks: int, symbol: str, interval: str,
                   known: dict[str, Any] | None) -> tuple[Any, ...]:
    if not clicks:
        raise PreventUpdate  # the page was inserted after the shell's jobs store
    symbol = (symbol or "").strip() or loaders.DEFAULT_SYMBOL
    user = auth.current()
    try:
        if not jobs.jobs_available():
            raise jobs.JobsUnavailable("The job queue is unavailable right now.")
        job_id = jobs.submit("run_backtest", {"symbol": symbol, "interval": interval},
                             requested_by=getattr(user, "username", None))
    except jobs.JobsUnavailable as error:
        return None, True, note_banner(f"Jobs are unavailable: {error} The backtest was not "
                                       "started.", kind="jobs-unavailable",
                                       colour="warning", icon="bi-plug"), no_update
    except ValueError as error:
        return None, True, note_banner(str(error), kind="job-error", colour="danger"), \
            no_update
    store = dict(known) if isinstance(known, dict) else {}
    store[f"backtest:{symbol}:{interval}"] = job_id
    return ({"id": job_id, "symbol": symbol, "interval": interval}, False,
            _progress_view({"state": "PENDING"}), store)


@callback(Output(ids.FORECAST_JOB_STATUS, "children", allow_duplicate=True),
          Output(ids.FORECAST_JOB_TIMER, "disabled", allow_duplicate=True),
          Output(ids.FORECAST_JOB_DONE, "data"),
          Input(ids.FORECAST_JOB_TIMER, "n_intervals"),
          State(ids.FORECAST_JOB, "data"),
          prevent_initial_call=True)
def follow_backtest(_ticks: int, job: dict[str, Any] | None) -> tuple[Any, ...]:
    if not job:
        raise PreventUpdate
    status = jobs.job_status(job["id"])
    if not auth.can_see_job(status):
        # Job ids come back from the browser: never show another user's job.
        raise PreventUpdate
    finished = status.get("state") in jobs.FINISHED_STATES
    return _progress_view(status), finished, job["id"] if finished else no_update


def _progress_view(status: dict[str, Any]) -> Any:
    state = status.get("state", "UNKNOWN")
    progress = status.get("progress") or {}
    if state == "SUCCESS":
        return note_banner("Backtest finished: its results are below.", kind="job-done",
                           colour="success", icon="bi-check-circle")
    if state in jobs.FINISHED_STATES:
        return note_banner(f"Backtest {state.lower()}: {status.get('error') or ''}",
                           kind="job-failed", colour="danger")
    epoch, epochs = progress.get("epoch"), progress.get("epochs")
    value = int(100 * epoch / epochs) if epoch and epochs else None
    label = progress.get("phase") or ("queued" if state == "PENDING" else state.lower())
    return html.Div([
        html.Div(f"Backtest: {label}", className="small mb-1"),
        dbc.Progress(value=value if value is not None else 100, striped=True,
                     animated=True, label=f"{value}%" if value is not None else "",
                     className="job-progress"),
    ], className="job-status", **{"data-state": state})
