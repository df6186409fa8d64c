"""Building blocks of the settings page: the training form, job monitor, registry table,
schedule and policy forms and the health panel. Pure functions from data to components."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ml.data import INTERVALS
from webapp import ids, training_options
from webapp.components import theme

STATE_COLOURS = {"PENDING": "secondary", "STARTED": "info", "PROGRESS": "primary",
                 "RETRY": "warning", "SUCCESS": "success", "FAILURE": "danger",
                 "CANCELLED": "dark", "UNKNOWN": "light"}
ACTIVE_STATES = frozenset({"PENDING", "STARTED", "PROGRESS", "RETRY"})


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%m-%d %H:%M:%S")
    if isinstance(value, str) and value:
        return value[5:19].replace("T", " ")
    return "—"


def _seconds(start: Any, end: Any) -> str:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return f"{(end - start).total_seconds():.0f} s"
    return ""


# --- training form ----------------------------------------------------------------------------

def train_form() -> html.Div:
    params = []
    for bound in training_options.BOUNDS:
        step = 1 if bound.kind is int else "any"
        params.append(dbc.Col([
            dbc.Label(bound.label, html_for=f"admin-param-{bound.name}", className="small"),
            dbc.Input(id={"type": ids.ADMIN_TRAIN_PARAM, "name": bound.name}, type="number",
                      min=bound.low, max=bound.high, step=step,
                      value=int(bound.default) if bound.kind is int else bound.default,
                      size="sm"),
            html.Div(f"{bound.low:g}–{bound.high:g}", className="form-text"),
        ], xs=6, md=4, lg=3, className="mb-2"))
    select = {"size": "sm"}
    return html.Div([
        dbc.Row([
            dbc.Col([dbc.Label("Symbols (one, or a list)", className="small"),
                     dbc.Textarea(id=ids.ADMIN_TRAIN_SYMBOLS, rows=2,
                                  placeholder="sample:SPX, AAPL, BTC-USD")], md=6),
            dbc.Col([dbc.Label("Interval", className="small"),
                     dbc.Select(id=ids.ADMIN_TRAIN_INTERVAL, value="1d", **select,
                                options=list(INTERVALS))], xs=4, md=2),
            dbc.Col([dbc.Label("Model", className="small"),
                     dbc.Select(id=ids.ADMIN_TRAIN_KIND, value="lstm", **select,
                                options=list(training_options.MODEL_KINDS))], xs=4, md=2),
            dbc.Col([dbc.Label("Target", className="small"),
                     dbc.Select(id=ids.ADMIN_TRAIN_TARGET, value="returns", **select,
                                options=list(training_options.TARGETS))], xs=4, md=2),
        ], className="mb-2"),
        dbc.Row(params),
        html.Div([
            dbc.Button([html.I(className="bi bi-cpu me-2"), "Train"], id=ids.ADMIN_TRAIN_SUBMIT,
                       color="primary", className="me-2"),
            dbc.Button([html.I(className="bi bi-arrow-repeat me-2"), "Retrain all stale"],
                       id=ids.ADMIN_TRAIN_STALE, color="secondary", outline=True),
        ], className="mt-2"),
        html.Div(id=ids.ADMIN_TRAIN_RESULT, className="mt-3"),
    ])


# --- job monitor ------------------------------------------------------------------------------

def _progress(row: dict[str, Any]) -> Any:
    progress = row.get("progress") or {}
    if not isinstance(progress, dict):
        return ""
    epoch, epochs = progress.get("epoch"), progress.get("epochs")
    phase = progress.get("phase") or ""
    if isinstance(epoch, int | float) and isinstance(epochs, int | float) and epochs > 0:
        value = max(0.0, min(100.0, 100.0 * epoch / epochs))
        return html.Div([
            dbc.Progress(value=value, label=f"{epoch:g}/{epochs:g}", style={"height": "1rem"},
                         animated=row.get("state") in ACTIVE_STATES, striped=True),
            html.Div(phase, className="small text-body-secondary"),
        ], style={"minWidth": "8rem"})
    return html.Span(phase, className="small")


def jobs_table(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return html.Div("No jobs yet.", className="text-body-secondary small")
    body = []
    for row in rows:
        state = str(row.get("state", "UNKNOWN"))
        job_id = str(row.get("id"))
        actions = [dbc.Button("Show", id={"type": ids.ADMIN_JOB_SHOW, "index": job_id},
                              size="sm", color="secondary", outline=True, className="me-1")]
        if state in ACTIVE_STATES:
            actions.append(dbc.Button("Cancel", id={"type": ids.ADMIN_JOB_CANCEL,
                                                    "index": job_id},
                                      size="sm", color="danger", outline=True))
        args = json.dumps(row.get("args") or {}, separators=(", ", ": "))
        body.append(html.Tr([
            html.Td(str(row.get("task", "")).removeprefix("workers.tasks.")),
            html.Td(dbc.Badge(state, color=STATE_COLOURS.get(state, "secondary"))),
            html.Td(html.Code(args[:120], className="small")),
            html.Td(_progress(row)),
            html.Td([_when(row.get("created_at")), html.Br(),
                     html.Span(_seconds(row.get("started_at"), row.get("finished_at")),
                               className="small text-body-secondary")]),
            html.Td(html.Span((row.get("error") or "")[:200], className="small text-danger")),
            html.Td(actions, className="text-nowrap"),
        ]))
    header = html.Thead(html.Tr([html.Th(t) for t in (
        "Task", "State", "Arguments", "Progress", "Queued / took", "Error", "")]))
    return dbc.Table([header, html.Tbody(body)], size="sm", responsive=True, hover=True,
                     className="mb-0 align-middle")


def curve_points(points: list[list[float | None]], progress: dict[str, Any]
                 ) -> list[list[float | None]]:
    """The loss curve so far: the worker's own ``history`` when it sends one (every epoch,
    however rarely the page polls), else ``points`` plus the epoch of ``progress`` if new."""
    history = progress.get("history")
    if isinstance(history, list) and history and len(history) >= len(points):
        return [list(point)[:3] for point in history if isinstance(point, list | tuple)][-1000:]
    epoch = progress.get("epoch")
    if not isinstance(epoch, int | float) or progress.get("loss") is None:
        return points
    if points and points[-1][0] is not None and epoch <= points[-1][0]:
        return points
    return [*points, [float(epoch), progress.get("loss"), progress.get("val_loss")]][-1000:]


def loss_figure(points: list[list[float | None]], theme_name: str | None) -> dict[str, Any]:
    epochs = [p[0] for p in points]
    data = [{"type": "scatter", "mode": "lines+markers", "name": "loss", "x": epochs,
             "y": [p[1] for p in points], "line": {"color": theme.ACCENT}},
            {"type": "scatter", "mode": "lines+markers", "name": "validation loss",
             "x": epochs, "y": [p[2] for p in points], "line": {"color": theme.WARN}}]
    chosen = theme_name if theme_name in theme.THEMES else "light"  # a client-sent value
    layout = {"template": theme.template(chosen), "height": 260,
              "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
              "xaxis": {"title": {"text": "epoch"}}, "yaxis": {"title": {"text": "loss"}},
              "legend": {"orientation": "h"}}
    return {"data": data, "layout": layout}


def job_detail(status: dict[str, Any]) -> Any:
    state = str(status.get("state"))
    items = [html.Span(["Job ", html.Code(str(status.get("id"))), " "]),
             dbc.Badge(state, color=STATE_COLOURS.get(state, "secondary"))]
    if status.get("error"):
        items.append(html.Div(str(status["error"])[:1000], className="text-danger small mt-1"))
    if status.get("result") and state == "SUCCESS":
        items.append(html.Pre(json.dumps(status["result"], indent=1, default=str)[:2000],
                              className="small mt-2 mb-0"))
    return html.Div([*items, html.Div(_progress(status), className="mt-2")])


# --- registry ---------------------------------------------------------------------------------

def _h1(metrics: dict[str, Any]) -> dict[str, Any]:
    horizons = metrics.get("horizons") if isinstance(metrics, dict) else None
    if isinstance(horizons, dict) and horizons:
        first = horizons.get("1") or next(iter(horizons.values()))
        return first if isinstance(first, dict) else {}
    return {}


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return f"{value:.{digits}g}"


def version_metrics(metrics: dict[str, Any]) -> dict[str, str]:
    """Horizon-1 figures of a version and its random-walk baseline, as display text."""
    first = _h1(metrics)
    model = first.get("model") or {}
    walk = (first.get("baselines") or {}).get("random_walk") or {}
    coverage = first.get("coverage") or {}
    cover = next(iter(coverage.values()), {}) if coverage else {}
    directional = model.get("directional") or {}
    summary = metrics.get("summary") if isinstance(metrics, dict) else None
    verdict = summary.get("verdict") if isinstance(summary, dict) else summary
    return {"mae": _fmt(model.get("mae")), "rmse": _fmt(model.get("rmse")),
            "theil_u": _fmt(model.get("theil_u"), 3),
            "directional": _fmt(directional.get("accuracy"), 3),
            "coverage": _fmt(cover.get("coverage") if isinstance(cover, dict) else None, 3),
            "rw_mae": _fmt(walk.get("mae")), "verdict": str(verdict or "—")}


def versions_table(versions: list[Any]) -> Any:
    if not versions:
        return html.Div("No model versions for this pair yet.",
                        className="text-body-secondary small")
    rows = []
    for info in versions:
        shown = version_metrics(info.metrics)
        action: Any = dbc.Badge("active", color="success")
        if not info.active:
            action = dbc.Button("Promote", id={"type": ids.ADMIN_MODEL_PROMOTE,
                                               "index": info.id},
                                size="sm", color="primary", outline=True)
        rows.append(html.Tr([
            html.Td(f"v{info.version}"), html.Td(info.kind), html.Td(info.target),
            html.Td(_when(info.created_at)), html.Td(shown["mae"]), html.Td(shown["rmse"]),
            html.Td(shown["theil_u"]), html.Td(shown["directional"]),
            html.Td(shown["coverage"]), html.Td(shown["rw_mae"]), html.Td(shown["verdict"]),
            html.Td(action),
        ], className="table-success" if info.active else ""))
    header = html.Thead(html.Tr([html.Th(t) for t in (
        "Version", "Model", "Target", "Trained", "MAE", "RMSE", "Theil U", "Direction",
        "Coverage", "Random walk MAE", "Verdict", "")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", responsive=True,
                     className="mb-0 align-middle")


# --- schedules and policy ---------------------------------------------------------------------

def schedule_form(spec: dict[str, dict[str, Any]]) -> Any:
    rows = []
    for name, entry in spec.items():
        rows.append(html.Tr([
            html.Td(name),
            html.Td(dbc.Input(id={"type": ids.ADMIN_SCHEDULE_FIELD, "name": name,
                                  "key": "every_s"}, type="number", min=5, size="sm",
                              value=entry.get("every_s"), placeholder="—")),
            html.Td(dbc.Input(id={"type": ids.ADMIN_SCHEDULE_FIELD, "name": name,
                                  "key": "cron"}, type="text", size="sm",
                              value=entry.get("cron") or "", placeholder="m h dom mon dow")),
            html.Td(dbc.Checkbox(id={"type": ids.ADMIN_SCHEDULE_FIELD, "name": name,
                                     "key": "enabled"}, value=bool(entry.get("enabled", True)))),
        ]))
    header = html.Thead(html.Tr([html.Th("Task"), html.Th("Every (s)"),
                                 html.Th("or cron (UTC)"), html.Th("On")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", className="mb-2 align-middle")


def policy_form(values: dict[str, Any], labels: dict[str, str]) -> Any:
    return dbc.Row([dbc.Col([
        dbc.Label(label, className="small"),
        dbc.Input(id={"type": ids.ADMIN_POLICY_FIELD, "name": name}, type="number",
                  step="any", size="sm", value=values.get(name)),
    ], xs=12, md=6, lg=4, className="mb-2") for name, label in labels.items()])


# --- health -----------------------------------------------------------------------------------

def health_body(document: dict[str, Any], extras: dict[str, Any]) -> Any:
    mode = document.get("mode")
    banner = None
    if mode == "fallback":
        banner = dbc.Alert([html.Strong("Fallback mode: "), "no Redis. Celery runs on SQLite, "
                            "the cache on the filesystem, the live stream is off."],
                           color="warning")
    cards = []
    for name, component in (document.get("components") or {}).items():
        status = component.get("status")
        colour = {"ok": "success", "down": "danger"}.get(status, "secondary")
        extra = component.get("extra") or {}
        detail = [html.Div(component.get("detail") or "", className="small")]
        if extra.get("workers"):
            detail.append(html.Div(", ".join(extra["workers"]), className="small"))
        cards.append(dbc.Col(dbc.Card(dbc.CardBody([
            html.Div([html.Strong(name), dbc.Badge(status, color=colour, className="ms-2")]),
            *detail,
            html.Div(f"{component.get('latency_ms')} ms", className="small text-body-secondary"),
        ])), xs=12, md=4, className="mb-2"))
    queues = extras.get("queues") or {}
    facts = [html.Li(["Mode: ", html.Strong(str(mode))]),
             html.Li(["Beat's last run: ", html.Strong(str(extras.get("beat_last_run") or
                                                           "never seen"))]),
             html.Li(["Queued: " + (", ".join(f"{k} {v}" for k, v in queues.items())
                                    or "unknown (fallback mode)")])]
    for worker, names in (extras.get("worker_queues") or {}).items():
        facts.append(html.Li([f"{worker}: ", ", ".join(names)]))
    return html.Div([banner, dbc.Row(cards), html.Ul(facts, className="small mb-0")])


def empty_figure() -> dict[str, Any]:
    return {"data": [], "layout": {"height": 260, "margin": {"l": 40, "r": 10, "t": 10,
                                                               "b": 30},
                                   "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "paper_bgcolor": "rgba(0,0,0,0)",
                                   "plot_bgcolor": "rgba(0,0,0,0)"}}


def graph() -> dcc.Graph:
    return dcc.Graph(id=ids.ADMIN_JOB_GRAPH, figure=empty_figure(),
                     config={"displayModeBar": False})
