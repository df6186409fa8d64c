"""Settings (admins only): retrain, watch jobs, manage the registry, schedules, health.

Every component id here starts with ``admin-``: the request guard in ``webapp/auth.py``
refuses those callbacks to anyone but an admin before they run, and each callback calls
``auth.require_admin()`` again. Ids that arrive from the browser (job ids, version ids) are
only ever used by an admin, and are looked up on the server, never trusted as data.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from ml.data import INTERVALS
from webapp import admin_settings, auth, ids, services, training_options
from webapp.components import admin_views

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/settings", name="Settings", order=95,
                   title="Foresight · Settings")

JOBS_REFRESH_MS = 2000
HEALTH_REFRESH_MS = 10_000
SCHEDULED_TASKS = ("heartbeat", "refresh_watched", "check_alerts", "retrain_stale")


def layout(**_query: str) -> html.Div:
    user = auth.current()
    if user is None or not user.is_admin:
        message = ("Log in with an admin account to see this page." if user is None else
                   f"{user.username} is a viewer: this page is for admins.")
        return html.Div([
            html.H1("Settings", className="h3"),
            dbc.Alert([message, " ", dbc.Button("Log in", href=f"{auth.LOGIN_PATH}?next=/settings",
                                                size="sm", color="primary", className="ms-2")
                       if user is None else None], color="secondary", id="settings-refused"),
        ])
    tabs = dbc.Tabs([
        dbc.Tab(_train_tab(), tab_id="train", label="Training & jobs"),
        dbc.Tab(_models_tab(), tab_id="models", label="Models"),
        dbc.Tab(_schedule_tab(), tab_id="schedules", label="Schedules & drift"),
        dbc.Tab(html.Div(id=ids.ADMIN_HEALTH_BODY, className="pt-3"), tab_id="health",
                label="System health"),
    ], id=ids.ADMIN_TABS, active_tab="train", className="mb-3")
    return html.Div([
        html.H1("Settings", className="h3 mb-3"),
        tabs,
        dcc.Interval(id=ids.ADMIN_JOBS_TIMER, interval=JOBS_REFRESH_MS),
        dcc.Interval(id=ids.ADMIN_HEALTH_TIMER, interval=HEALTH_REFRESH_MS),
        dcc.Store(id=ids.ADMIN_JOB_SELECTED),
        dcc.Store(id=ids.ADMIN_JOB_CURVE, data={"job": None, "points": []}),
        dcc.Store(id=ids.ADMIN_CONFIRM_ACTION),
        dcc.ConfirmDialog(id=ids.ADMIN_CONFIRM),
    ])


def _train_tab() -> html.Div:
    return html.Div([
        dbc.Card([dbc.CardHeader("Train"), dbc.CardBody(admin_views.train_form())],
                 className="mb-3"),
        dbc.Card([dbc.CardHeader("Jobs"), dbc.CardBody([
            html.Div(id=ids.ADMIN_JOBS_MESSAGE),
            html.Div(id=ids.ADMIN_JOBS_TABLE),
        ])], className="mb-3"),
        dbc.Card([dbc.CardHeader("Selected job"), dbc.CardBody([
            html.Div("Press Show on a job to follow it.", id=ids.ADMIN_JOB_DETAIL,
                     className="small"),
            admin_views.graph(),
        ])]),
    ], className="pt-3")


def _models_tab() -> html.Div:
    return html.Div([
        dbc.Row([dbc.Col(dbc.Select(id=ids.ADMIN_MODELS_PAIR, options=[],
                                    placeholder="Symbol and interval"), md=6),
                 dbc.Col(dbc.Button([html.I(className="bi bi-skip-backward me-2"), "Roll back"],
                                    id=ids.ADMIN_MODEL_ROLLBACK, color="warning",
                                    outline=True), md="auto")], className="mb-3 g-2"),
        html.Div(id=ids.ADMIN_MODELS_MESSAGE),
        html.Div(id=ids.ADMIN_MODELS_TABLE),
    ], className="pt-3")


def _schedule_tab() -> html.Div:
    from workers.schedule import effective_schedule

    engine = services.database()
    return html.Div([
        html.H2("Schedules", className="h6"),
        admin_views.schedule_form(effective_schedule(engine)),
        html.H2("Retraining and drift", className="h6 mt-3"),
        admin_views.policy_form(admin_settings.effective_policy(engine),
                                admin_settings.EDITABLE_POLICY),
        dbc.Button("Save", id=ids.ADMIN_SETTINGS_SAVE, color="primary", className="mt-2"),
        html.Div(id=ids.ADMIN_SETTINGS_MESSAGE, className="mt-2"),
    ], className="pt-3")


# --- training ---------------------------------------------------------------------------------

def _symbols(text: str | None) -> list[str]:
    from webapp.api.market import existing_symbol

    raw = [s.strip() for s in (text or "").replace("\n", ",").split(",") if s.strip()]
    if not raw:
        raise training_options.FieldError("symbols", "give at least one symbol")
    if len(raw) > training_options.MAX_SYMBOLS:
        raise training_options.FieldError(
            "symbols", f"at most {training_options.MAX_SYMBOLS} symbols at once")
    symbols = []
    for text_symbol in raw:
        try:
            symbols.append(existing_symbol(text_symbol))
        except Exception as error:  # ApiError from the API's check; its message says why
            raise training_options.FieldError("symbols", str(error)) from None
    return list(dict.fromkeys(symbols))


def _clicked() -> bool:
    """True when the button that fired was really pressed (re-rendered buttons also fire,
    with ``n_clicks`` None)."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


@callback(Output(ids.ADMIN_TRAIN_RESULT, "children"),
          Input(ids.ADMIN_TRAIN_SUBMIT, "n_clicks"),
          State(ids.ADMIN_TRAIN_SYMBOLS, "value"), State(ids.ADMIN_TRAIN_INTERVAL, "value"),
          State(ids.ADMIN_TRAIN_KIND, "value"), State(ids.ADMIN_TRAIN_TARGET, "value"),
          State({"type": ids.ADMIN_TRAIN_PARAM, "name": ALL}, "value"),
          State({"type": ids.ADMIN_TRAIN_PARAM, "name": ALL}, "id"),
          prevent_initial_call=True)
def submit_training(_clicks: int, symbols_text: str | None, interval: str | None,
                    kind: str | None, target: str | None, values: list[Any],
                    names: list[dict[str, str]]) -> Any:
    from webapp import jobs

    user = auth.require_admin()
    try:
        symbols = _symbols(symbols_text)
        interval = training_options.check_choice("interval", interval,
                                                 INTERVALS)
        given = {str(n.get("name")): v for n, v in zip(names, values, strict=False)
                 if v is not None}
        config = training_options.training_config(kind, target, given)
    except training_options.FieldError as error:
        return dbc.Alert(f"{error.field}: {error.reason}", color="danger")
    queued, failed = [], []
    for symbol in symbols:
        try:
            queued.append((symbol, jobs.submit("train_model", {
                "symbol": symbol, "interval": interval, "config": config},
                requested_by=user.username)))
        except (jobs.JobsUnavailable, ValueError) as error:
            failed.append(f"{symbol}: {error}")
    items = [html.Li([f"{symbol} {interval}: job ", html.Code(job_id)])
             for symbol, job_id in queued]
    items += [html.Li(text, className="text-danger") for text in failed]
    colour = "success" if queued and not failed else "warning" if queued else "danger"
    return dbc.Alert([html.Strong(f"Queued {len(queued)} training(s)."), html.Ul(items)],
                     color=colour)


@callback(Output(ids.ADMIN_TRAIN_RESULT, "children", allow_duplicate=True),
          Input(ids.ADMIN_TRAIN_STALE, "n_clicks"), prevent_initial_call=True)
def retrain_stale(_clicks: int) -> Any:
    from webapp import jobs

    user = auth.require_admin()
    try:
        job_id = jobs.submit("retrain_stale", {}, requested_by=user.username)
    except jobs.JobsUnavailable as error:
        return dbc.Alert(str(error), color="danger")
    return dbc.Alert(["Queued a check of every active model (too old or drifting ones are "
                      "retrained): job ", html.Code(job_id)], color="success")


# --- job monitor ------------------------------------------------------------------------------

@callback(Output(ids.ADMIN_JOBS_TABLE, "children"),
          Input(ids.ADMIN_JOBS_TIMER, "n_intervals"), Input(ids.ADMIN_TABS, "active_tab"),
          Input(ids.ADMIN_JOBS_MESSAGE, "children"))
def refresh_jobs(_ticks: int | None, tab: str | None, _message: Any) -> Any:
    from webapp import jobs

    auth.require_admin()
    if tab != "train":
        raise PreventUpdate
    return admin_views.jobs_table(jobs.list_jobs(limit=25))


@callback(Output(ids.ADMIN_JOBS_MESSAGE, "children"),
          Input({"type": ids.ADMIN_JOB_CANCEL, "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def cancel_job(clicks: list[int | None]) -> Any:
    from webapp import jobs

    auth.require_admin()
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not _clicked():
        raise PreventUpdate
    job_id = str(trigger.get("index"))[:64]
    if jobs.cancel(job_id):
        return dbc.Alert(["Cancelling job ", html.Code(job_id), "."], color="info",
                         duration=4000)
    return dbc.Alert(["Job ", html.Code(job_id), " is unknown or already finished."],
                     color="secondary", duration=4000)


@callback(Output(ids.ADMIN_JOB_SELECTED, "data"),
          Input({"type": ids.ADMIN_JOB_SHOW, "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def select_job(clicks: list[int | None]) -> str:
    auth.require_admin()
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not _clicked():
        raise PreventUpdate
    return str(trigger.get("index"))[:64]


@callback(Output(ids.ADMIN_JOB_DETAIL, "children"),
          Output(ids.ADMIN_JOB_GRAPH, "figure"),
          Output(ids.ADMIN_JOB_CURVE, "data"),
          Input(ids.ADMIN_JOBS_TIMER, "n_intervals"), Input(ids.ADMIN_JOB_SELECTED, "data"),
          State(ids.ADMIN_JOB_CURVE, "data"), State(ids.ADMIN_TABS, "active_tab"),
          State(ids.THEME_STORE, "data"))
def follow_job(_ticks: int | None, job_id: str | None, curve: dict[str, Any] | None,
               tab: str | None, theme_name: str | None) -> tuple[Any, Any, Any]:
    from webapp import jobs

    auth.require_admin()
    if not job_id or tab != "train":
        raise PreventUpdate
    status = jobs.job_status(str(job_id)[:64])
    # The curve store is display state only; it is restarted whenever the job changes.
    points = curve.get("points") if isinstance(curve, dict) and curve.get("job") == job_id \
        else []
    points = points if isinstance(points, list) else []
    progress = status.get("progress") if isinstance(status.get("progress"), dict) else {}
    points = admin_views.curve_points(points, progress)
    figure = admin_views.loss_figure(points, theme_name) if points else \
        admin_views.empty_figure()
    return admin_views.job_detail(status), figure, {"job": job_id, "points": points}


# --- registry ---------------------------------------------------------------------------------

def _pairs() -> list[dict[str, str]]:
    from ml.forecast import list_versions

    seen = dict.fromkeys((v.symbol, v.interval) for v in list_versions(services.database()))
    return [{"label": f"{symbol} · {interval}", "value": f"{interval}|{symbol}"}
            for symbol, interval in sorted(seen)]


def _split_pair(value: str | None) -> tuple[str, str] | None:
    if not isinstance(value, str) or "|" not in value:
        return None
    interval, _, symbol = value.partition("|")
    return symbol, interval


@callback(Output(ids.ADMIN_MODELS_PAIR, "options"), Output(ids.ADMIN_MODELS_PAIR, "value"),
          Input(ids.ADMIN_TABS, "active_tab"), State(ids.ADMIN_MODELS_PAIR, "value"))
def load_pairs(tab: str | None, current: str | None) -> tuple[Any, Any]:
    auth.require_admin()
    if tab != "models":
        raise PreventUpdate
    options = _pairs()
    values = [o["value"] for o in options]
    return options, current if current in values else (values[0] if values else None)


@callback(Output(ids.ADMIN_MODELS_TABLE, "children"),
          Input(ids.ADMIN_MODELS_PAIR, "value"), Input(ids.ADMIN_MODELS_MESSAGE, "children"))
def show_versions(pair: str | None, _message: Any) -> Any:
    from ml.forecast import list_versions

    auth.require_admin()
    chosen = _split_pair(pair)
    if chosen is None:
        return html.Div("No trained models yet.", className="text-body-secondary small")
    return admin_views.versions_table(list_versions(services.database(), *chosen))


@callback(Output(ids.ADMIN_CONFIRM, "displayed"), Output(ids.ADMIN_CONFIRM, "message"),
          Output(ids.ADMIN_CONFIRM_ACTION, "data"),
          Input({"type": ids.ADMIN_MODEL_PROMOTE, "index": ALL}, "n_clicks"),
          Input(ids.ADMIN_MODEL_ROLLBACK, "n_clicks"),
          State(ids.ADMIN_MODELS_PAIR, "value"), prevent_initial_call=True)
def ask_confirmation(_promote_clicks: list[int | None], _rollback_clicks: int | None,
                     pair: str | None) -> tuple[bool, str, dict[str, Any]]:
    from ml.forecast import RegistryError, get_version

    auth.require_admin()
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and _clicked():
        try:
            info = get_version(services.database(), int(trigger.get("index")))
        except (RegistryError, TypeError, ValueError):
            raise PreventUpdate from None
        return (True, f"Make {info.symbol} {info.interval} v{info.version} ({info.kind}) the "
                "active model? Forecasts will come from it from now on.",
                {"action": "promote", "version_id": info.id})
    chosen = _split_pair(pair)
    if trigger == ids.ADMIN_MODEL_ROLLBACK and _clicked() and chosen:
        return (True, f"Roll {chosen[0]} {chosen[1]} back to the previously active version?",
                {"action": "rollback", "symbol": chosen[0], "interval": chosen[1]})
    raise PreventUpdate


@callback(Output(ids.ADMIN_MODELS_MESSAGE, "children"),
          Input(ids.ADMIN_CONFIRM, "submit_n_clicks"),
          State(ids.ADMIN_CONFIRM_ACTION, "data"), prevent_initial_call=True)
def confirmed(_submitted: int | None, action: dict[str, Any] | None) -> Any:
    from ml.forecast import registry

    user = auth.require_admin()
    if not isinstance(action, dict):
        raise PreventUpdate
    engine = services.database()
    try:
        if action.get("action") == "promote":
            info = registry.promote(engine, int(action.get("version_id")))  # type: ignore[arg-type]
        elif action.get("action") == "rollback":
            info = registry.rollback(engine, str(action.get("symbol")),
                                     str(action.get("interval")))
        else:
            raise PreventUpdate
    except (registry.RegistryError, TypeError, ValueError) as error:
        return dbc.Alert(str(error), color="danger")
    logger.info("%s %s: %s %s v%d is active", user.username, action["action"], info.symbol,
                info.interval, info.version)
    _queue_forecast(info.symbol, info.interval, user.username)
    return dbc.Alert(f"{info.symbol} {info.interval} v{info.version} is now active.",
                     color="success", duration=6000)


def _queue_forecast(symbol: str, interval: str, username: str) -> None:
    """A new active model makes the stored forecast stale: compute the new one now."""
    from webapp import jobs

    try:
        jobs.submit("predict", {"symbol": symbol, "interval": interval},
                    requested_by=username)
    except (jobs.JobsUnavailable, ValueError) as error:
        logger.warning("forecast after activation not queued: %s", error)


# --- schedules and policy ---------------------------------------------------------------------

def _schedule_overrides(values: list[Any], fields: list[dict[str, str]]) -> dict[str, Any]:
    overrides: dict[str, dict[str, Any]] = {}
    for field, value in zip(fields, values, strict=False):
        entry = overrides.setdefault(str(field.get("name")), {})
        key = str(field.get("key"))
        if key == "enabled":
            entry["enabled"] = bool(value)
        elif key == "cron" and isinstance(value, str) and value.strip():
            entry["cron"] = value.strip()
        elif key == "every_s" and value not in (None, ""):
            entry["every_s"] = value
    for entry in overrides.values():
        if "cron" in entry and "every_s" in entry:
            del entry["every_s"]  # a cron line, when given, wins over the interval
    return overrides


@callback(Output(ids.ADMIN_SETTINGS_MESSAGE, "children"),
          Input(ids.ADMIN_SETTINGS_SAVE, "n_clicks"),
          State({"type": ids.ADMIN_SCHEDULE_FIELD, "name": ALL, "key": ALL}, "value"),
          State({"type": ids.ADMIN_SCHEDULE_FIELD, "name": ALL, "key": ALL}, "id"),
          State({"type": ids.ADMIN_POLICY_FIELD, "name": ALL}, "value"),
          State({"type": ids.ADMIN_POLICY_FIELD, "name": ALL}, "id"),
          prevent_initial_call=True)
def save_settings(_clicks: int, schedule_values: list[Any], schedule_ids: list[dict[str, str]],
                  policy_values: list[Any], policy_ids: list[dict[str, str]]) -> Any:
    from workers.schedule import save_schedule, validate_overrides

    user = auth.require_admin()
    engine = services.database()
    policy = {str(i.get("name")): v for i, v in zip(policy_ids, policy_values, strict=False)
              if v not in (None, "")}
    try:
        schedule = validate_overrides(_schedule_overrides(schedule_values, schedule_ids))
        admin_settings.check_policy(policy)
    except ValueError as error:
        return dbc.Alert(f"Not saved: {error}", color="danger")
    save_schedule(engine, schedule)
    admin_settings.save_policy(engine, policy)
    logger.info("%s saved schedules and policy", user.username)
    return dbc.Alert("Saved. Beat picks up schedule changes within a minute.",
                     color="success", duration=6000)


# --- health -----------------------------------------------------------------------------------

def _health_extras() -> dict[str, Any]:
    from webapp import jobs

    extras: dict[str, Any] = {}
    latest = []
    for task in SCHEDULED_TASKS:
        rows = jobs.list_jobs(task=task, limit=1)
        if rows and rows[0].get("created_at") is not None:
            latest.append(rows[0]["created_at"])
    if latest:
        extras["beat_last_run"] = max(latest)
    client = services.redis_client()
    if client is not None:
        try:
            extras["queues"] = {name: int(client.llen(name)) for name in ("default", "training")}
            replies = services.celery_client().control.inspect(timeout=1.0).active_queues()
            extras["worker_queues"] = {worker: sorted(q["name"] for q in queues)
                                       for worker, queues in (replies or {}).items()}
        except Exception as error:  # noqa: BLE001 - health shows what it can
            logger.warning("queue inspection failed: %s", error)
    return extras


@callback(Output(ids.ADMIN_HEALTH_BODY, "children"),
          Input(ids.ADMIN_HEALTH_TIMER, "n_intervals"), Input(ids.ADMIN_TABS, "active_tab"))
def refresh_health(_ticks: int | None, tab: str | None) -> Any:
    from webapp.health import system_health

    auth.require_admin()
    if tab != "health":
        raise PreventUpdate
    document, _healthy = system_health(1.0)
    return admin_views.health_body(document, _health_extras())
