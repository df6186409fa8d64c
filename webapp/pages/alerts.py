"""The Alerts page: rules (create, edit, pause, delete, validated as you type), the replay of a
rule over history, recent events with their delivery state, channel settings and tests.

Every callback re-checks the login (``auth.require_login``) and touches only the caller's
rows; the ids start ``account-`` so the request guard refuses anonymous calls too.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import ALL, ClientsideFunction, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy import Engine, select

from ml.alerts import replay, store as alert_store
from webapp import auth, ids, services
from webapp.components.alerts_form import (
    CHANNEL_LABELS,
    DEFAULTS,
    FIELDS,
    PARAM_FIELDS,
    errors_by_field,
    field_id,
    form_to_values,
    hidden_style,
    rule_form,
    rule_summary,
    rule_to_form,
)
from webapp.components.graphs import data_id, empty_figure, figure_payload, themed_graph

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/alerts", name="Alerts", order=40,
                   title="Foresight · Alerts")

REPLAY_GRAPH = "alerts-replay"
REPLAY_BARS = 2000
STATE_COLOURS = {"delivered": "success", "pending": "secondary", "sending": "info",
                 "retrying": "warning", "failed": "danger"}
FIELD_VALUES = State({"type": ids.ALERTS_FIELD, "name": ALL}, "value")
FIELD_IDS = State({"type": ids.ALERTS_FIELD, "name": ALL}, "id")
OPTION_VALUES = State({"type": ids.ALERTS_OPTION, "name": ALL}, "value")
OPTION_IDS = State({"type": ids.ALERTS_OPTION, "name": ALL}, "id")


def layout(**_query: str) -> html.Div:
    user = auth.current()
    if user is None:
        return html.Div([
            html.H1("Alerts", className="h3"),
            dbc.Alert(["Log in to set alerts. ",
                       dbc.Button("Log in", href=f"{auth.LOGIN_PATH}?next=/alerts",
                                  color="primary", size="sm", className="ms-2")],
                      color="secondary", id="alerts-anonymous"),
        ])
    engine = services.database()
    return html.Div([
        html.H1("Alerts", className="h3"),
        dcc.Store(id=ids.ALERTS_EDITING),
        dcc.Interval(id=ids.ALERTS_EVENTS_TIMER, interval=5000),
        dbc.Row([
            dbc.Col([
                dbc.Card([
                    dbc.CardHeader(html.Span("New rule", id="alerts-form-title")),
                    dbc.CardBody([
                        rule_form(),
                        html.Div([
                            dbc.Button("Save rule", id=ids.ALERTS_SAVE, color="primary",
                                       disabled=True),
                            dbc.Button("Replay over history", id=ids.ALERTS_REPLAY,
                                       color="secondary", outline=True),
                            dbc.Button("Clear", id=ids.ALERTS_RESET, color="link"),
                        ], className="d-flex flex-wrap gap-2 mt-3"),
                        html.Div(id=ids.ALERTS_MESSAGE, className="mt-2"),
                    ]),
                ], className="mb-3"),
                dbc.Card([
                    dbc.CardHeader("Replay"),
                    dbc.CardBody([html.Div(id=ids.ALERTS_REPLAY_SUMMARY, className="small mb-2",
                                           children="Replay a rule to see when it would have "
                                                    "fired."),
                                  *_replay_graph()]),
                ], className="mb-3"),
            ], lg=6),
            dbc.Col([
                dbc.Card([
                    dbc.CardHeader("Your rules"),
                    dbc.CardBody(rules_table(alert_store.list_rules(engine, user.id)),
                                 id=ids.ALERTS_RULES),
                ], className="mb-3"),
                dbc.Card([
                    dbc.CardHeader(html.Div([
                        html.Span("Recent events"),
                        dbc.Button("Mark all read", id=ids.ALERTS_MARK_READ, size="sm",
                                   color="link", className="ms-auto p-0"),
                    ], className="d-flex align-items-center")),
                    dbc.CardBody(events_table(engine, user.id), id=ids.ALERTS_EVENTS),
                ], className="mb-3"),
                dbc.Card([
                    dbc.CardHeader("Channels"),
                    dbc.CardBody(channels_panel(engine, user.id), id=ids.ALERTS_CHANNELS),
                ]),
            ], lg=6),
        ]),
    ])


def _replay_graph() -> list[Any]:
    """The themed graph with a message in it until the first replay."""
    store, graph = themed_graph(REPLAY_GRAPH, min_height=300)
    store.data = figure_payload(empty_figure("Replay a rule to see when it would have fired",
                                             height=300))
    return [store, graph]


# --- views -----------------------------------------------------------------------------------

def rules_table(rules: list[dict[str, Any]]) -> Any:
    if not rules:
        return html.Div("No rules yet: create one with the form.", className="small "
                        "text-body-secondary", id="alerts-no-rules")
    rows = []
    for rule in rules:
        def action(name: str, label: str, colour: str, rule_id: int = rule["id"]) -> Any:
            return dbc.Button(label, id={"type": ids.ALERTS_RULE_ACTION, "action": name,
                                         "index": rule_id},
                              size="sm", color=colour, outline=True, className="me-1")
        state = dbc.Badge("active" if rule["active"] else "paused",
                          color="success" if rule["active"] else "secondary")
        rows.append(html.Tr([
            html.Td([html.Div(rule["name"], className="fw-semibold"),
                     html.Div(f"{rule['symbol']} {rule['interval']}: {rule_summary(rule)}",
                              className="small text-body-secondary")]),
            html.Td([state, html.Div(", ".join(CHANNEL_LABELS.get(c, c)
                                               for c in rule["channels"]),
                                     className="small")]),
            html.Td([action("edit", "Edit", "primary"),
                     action("toggle", "Pause" if rule["active"] else "Resume", "secondary"),
                     action("delete", "Delete", "danger")], className="text-nowrap"),
        ], id=f"alerts-rule-{rule['id']}"))
    return dbc.Table([html.Tbody(rows)], size="sm", responsive=True, className="mb-0",
                     id="alerts-rules-table")


def events_table(engine: Engine, user_id: int) -> Any:
    events = alert_store.list_events(engine, user_id, limit=30)
    if not events:
        return html.Div("No alerts have fired yet.", className="small text-body-secondary")
    deliveries = alert_store.deliveries_for_events(engine, user_id, [e["id"] for e in events])
    rows = []
    for event in events:
        badges = []
        for delivery in deliveries.get(event["id"], []):
            log = "; ".join(f"#{a['attempt']} {'ok' if a['ok'] else 'failed'}: {a['detail']}"
                            for a in delivery["log"]) or "no attempt yet"
            badges.append(dbc.Badge(
                f"{CHANNEL_LABELS.get(delivery['channel'], delivery['channel'])}: "
                f"{delivery['state']}" + (f" ({delivery['attempts']})"
                                          if delivery["attempts"] > 1 else ""),
                color=STATE_COLOURS.get(delivery["state"], "secondary"), title=log))
        when = pd.Timestamp(event["created_at"]).strftime("%Y-%m-%d %H:%M")
        rows.append(html.Tr([
            html.Td([html.Div(event["payload"].get("message", ""),
                              className="" if event["read"] else "fw-semibold"),
                     html.Div(f"bar {event['payload'].get('bar', '')[:16]} · stored {when}",
                              className="small text-body-secondary")]),
            html.Td(badges, className="alerts-delivery-badges"),
        ]))
    return dbc.Table([html.Tbody(rows)], size="sm", responsive=True, className="mb-0",
                     id="alerts-events-table")


def channels_panel(engine: Engine, user_id: int) -> Any:
    stored = alert_store.channel_settings(engine, user_id)
    webhook = stored.get("webhook", {})
    email = stored.get("email", {})

    def health(entry: dict[str, Any]) -> Any:
        if not entry:
            return dbc.Badge("not set up", color="secondary")
        if entry.get("failing"):
            return dbc.Badge(f"failing: {entry.get('last_error') or ''}"[:80], color="danger")
        return dbc.Badge("working" if entry.get("last_success_at") else "set up",
                         color="success" if entry.get("last_success_at") else "info")

    def test_button(channel: str) -> Any:
        return dbc.Button("Send a test", id={"type": ids.ALERTS_TEST, "channel": channel},
                          size="sm", color="secondary", outline=True)

    secret = (webhook.get("config") or {}).get("secret")
    return html.Div([
        html.Div([html.Span("In app: the bell and a toast. ", className="me-2"),
                  test_button("in_app")], className="mb-2 small"),
        html.Div([html.Span(id=ids.ALERTS_PERMISSION_STATE, className="me-2"),
                  dbc.Button("Allow browser notifications", id=ids.ALERTS_PERMISSION,
                             size="sm", color="secondary", outline=True, className="me-1"),
                  test_button("browser")], className="mb-3 small"),
        dbc.Label("Webhook URL (JSON POST, signed; Slack and Discord URLs get their shapes)"),
        dbc.InputGroup([
            dbc.Input(id={"type": ids.ALERTS_CHANNEL_FIELD, "name": "url"},
                      value=(webhook.get("config") or {}).get("url", ""),
                      placeholder="https://example.org/hooks/foresight"),
            dbc.Select(id={"type": ids.ALERTS_CHANNEL_FIELD, "name": "style"},
                       options=[{"label": s, "value": s} for s in alert_store.WEBHOOK_STYLES],
                       value=(webhook.get("config") or {}).get("style", "generic")),
            dbc.Button("Save", id={"type": ids.ALERTS_CHANNEL_SAVE, "channel": "webhook"}),
        ], size="sm"),
        html.Div([health(webhook), " ",
                  html.Span(["Signing secret: ", html.Code(secret)] if secret else ""),
                  " ", test_button("webhook")], className="small mt-1 mb-3"),
        dbc.Label("E-mail address"),
        dbc.InputGroup([
            dbc.Input(id={"type": ids.ALERTS_CHANNEL_FIELD, "name": "address"}, type="email",
                      value=(email.get("config") or {}).get("address", ""),
                      placeholder="you@example.org"),
            dbc.Button("Save", id={"type": ids.ALERTS_CHANNEL_SAVE, "channel": "email"}),
        ], size="sm"),
        html.Div([health(email), " ", test_button("email")], className="small mt-1"),
        html.Div(id=ids.ALERTS_TEST_STATUS, className="small mt-2"),
    ])


# --- form: visibility and validation as you type ---------------------------------------------

def known_symbol_check(engine: Engine) -> Any:
    """A symbol is known when the cache or the symbol table has it (so bars exist to watch)."""
    from ml.db.schema import bars, fetch_state, symbols

    def known(symbol: str) -> bool:
        with engine.connect() as connection:
            return any(connection.execute(select(table.c.symbol).where(
                table.c.symbol == symbol).limit(1)).first() is not None
                for table in (symbols, fetch_state, bars))
    return known


def validate(form: dict[str, Any]) -> tuple[alert_store.RuleValues | None, dict[str, str]]:
    values, text_errors = form_to_values(form)
    rule, errors = alert_store.check_rule(values, known_symbol_check(services.database()))
    shown = errors_by_field(errors, text_errors)
    return (rule if not shown else None), shown


@callback(
    Output({"type": ids.ALERTS_PARAM_ROW, "name": ALL}, "style"),
    Input(field_id("rule_type"), "value"),
    State({"type": ids.ALERTS_PARAM_ROW, "name": ALL}, "id"),
)
def show_fields(rule_type: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    auth.require_login()
    return [hidden_style(rule_type or "price", row["name"]) if row["name"] in PARAM_FIELDS
            else {} for row in rows]


@callback(
    Output({"type": ids.ALERTS_FIELD, "name": ALL}, "invalid"),
    Output({"type": ids.ALERTS_FEEDBACK, "name": ALL}, "children"),
    Output(ids.ALERTS_SAVE, "disabled"),
    Input({"type": ids.ALERTS_FIELD, "name": ALL}, "value"),
    Input({"type": ids.ALERTS_OPTION, "name": ALL}, "value"),
    FIELD_IDS, OPTION_IDS,
    State({"type": ids.ALERTS_FEEDBACK, "name": ALL}, "id"),
)
def validate_as_you_type(values: list[Any], options: list[Any],
                         field_ids: list[dict[str, str]], option_ids: list[dict[str, str]],
                         feedback_ids: list[dict[str, str]]) -> tuple[Any, ...]:
    auth.require_login()
    form = _collect(values, field_ids, options, option_ids)
    _rule, errors = validate(form)
    blocked = bool(errors)
    # An empty field is not shown as an error while the user has not typed in it; saving
    # stays disabled until the rule is valid.
    shown = {k: v for k, v in errors.items() if form.get(k) not in ("", None)}
    invalid = [f["name"] in shown for f in field_ids]
    messages = [shown.get(f["name"], "") for f in feedback_ids]
    return invalid, messages, blocked


def _collect(values: list[Any], field_ids: list[dict[str, str]], options: list[Any],
             option_ids: list[dict[str, str]]) -> dict[str, Any]:
    form = {f["name"]: v for f, v in zip(field_ids, values, strict=True)}
    form.update({f["name"]: v for f, v in zip(option_ids, options, strict=True)})
    return _ordered(form)


def _ordered(form: dict[str, Any]) -> dict[str, Any]:
    return {name: form.get(name, DEFAULTS.get(name)) for name in FIELDS}


# --- save, edit, pause, delete ---------------------------------------------------------------

@callback(
    Output(ids.ALERTS_MESSAGE, "children"),
    Output(ids.ALERTS_RULES, "children"),
    Output(ids.ALERTS_EDITING, "data"),
    Output({"type": ids.ALERTS_FIELD, "name": ALL}, "value"),
    Output({"type": ids.ALERTS_OPTION, "name": ALL}, "value"),
    Output("alerts-form-title", "children"),
    Input(ids.ALERTS_SAVE, "n_clicks"),
    Input(ids.ALERTS_RESET, "n_clicks"),
    Input({"type": ids.ALERTS_RULE_ACTION, "action": ALL, "index": ALL}, "n_clicks"),
    FIELD_VALUES, FIELD_IDS, OPTION_VALUES, OPTION_IDS,
    State(ids.ALERTS_EDITING, "data"),
    prevent_initial_call=True,
)
def change_rules(_save: int | None, _reset: int | None, _actions: list[int | None],
                 values: list[Any], field_ids: list[dict[str, str]], options: list[Any],
                 option_ids: list[dict[str, str]], editing: int | None) -> tuple[Any, ...]:
    user = auth.require_login()
    engine = services.database()
    trigger = ctx.triggered_id
    if trigger is None or (isinstance(trigger, dict) and not ctx.triggered[0]["value"]):
        raise PreventUpdate
    names = [f["name"] for f in field_ids]
    option_names = [f["name"] for f in option_ids]
    keep = ([dash.no_update] * len(names), [dash.no_update] * len(option_names))

    def cleared() -> tuple[list[Any], list[Any]]:
        return [DEFAULTS[n] for n in names], [DEFAULTS[n] for n in option_names]

    if trigger == ids.ALERTS_RESET:
        return ("", dash.no_update, None, *cleared(), "New rule")
    if isinstance(trigger, dict):
        return _rule_action(engine, user.id, trigger, (names, option_names), keep, editing)
    rule, errors = validate(_collect(values, field_ids, options, option_ids))
    if rule is None:
        text = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return (dbc.Alert(f"Not saved: {text}", color="danger", className="py-2 mb-0"),
                dash.no_update, editing, *keep, dash.no_update)
    if editing and alert_store.update_rule(engine, user.id, int(editing), rule):
        message = f"Rule {rule.name!r} updated (it re-arms: only bars closing from now count)."
    else:
        alert_store.create_rule(engine, user.id, rule)
        message = f"Rule {rule.name!r} saved: it fires on bars that close from now on."
    return (dbc.Alert(message, color="success", className="py-2 mb-0", id="alerts-saved"),
            rules_table(alert_store.list_rules(engine, user.id)), None, *cleared(), "New rule")


def _rule_action(engine: Engine, user_id: int, trigger: dict[str, Any],
                 names: tuple[list[str], list[str]], keep: tuple[list[Any], list[Any]],
                 editing: int | None) -> tuple[Any, ...]:
    rule_id = int(trigger["index"])
    rule = alert_store.get_rule(engine, user_id, rule_id)
    if rule is None:
        raise PreventUpdate
    if trigger["action"] == "edit":
        form = rule_to_form(rule)
        return ("", dash.no_update, rule_id, [form.get(n, DEFAULTS[n]) for n in names[0]],
                [form.get(n, DEFAULTS[n]) for n in names[1]], f"Edit rule {rule['name']}")
    if trigger["action"] == "toggle":
        alert_store.set_rule_active(engine, user_id, rule_id, not rule["active"])
        message = f"Rule {rule['name']!r} {'paused' if rule['active'] else 'resumed'}."
    else:
        alert_store.delete_rule(engine, user_id, rule_id)
        message = f"Rule {rule['name']!r} deleted."
        editing = None if editing == rule_id else editing
    return (dbc.Alert(message, color="info", className="py-2 mb-0"),
            rules_table(alert_store.list_rules(engine, user_id)), editing, *keep,
            dash.no_update)


# --- replay ----------------------------------------------------------------------------------

@callback(
    Output(data_id(REPLAY_GRAPH), "data"),
    Output(ids.ALERTS_REPLAY_SUMMARY, "children"),
    Input(ids.ALERTS_REPLAY, "n_clicks"),
    FIELD_VALUES, FIELD_IDS, OPTION_VALUES, OPTION_IDS,
    prevent_initial_call=True,
)
def run_replay(_clicks: int, values: list[Any], field_ids: list[dict[str, str]],
               options: list[Any], option_ids: list[dict[str, str]]) -> tuple[Any, ...]:
    auth.require_login()
    rule, errors = validate(_collect(values, field_ids, options, option_ids))
    if rule is None:
        text = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return figure_payload(empty_figure("Fix the form first")), f"Cannot replay: {text}"
    engine = services.database()
    try:
        from ml.data import load_bars

        bars = load_bars(rule.symbol, rule.interval, engine=engine, refresh=False).bars
    except ValueError as error:
        return figure_payload(empty_figure("No cached bars")), f"No bars to replay: {error}"
    bars = bars.iloc[-REPLAY_BARS:]
    forecasts = _forecasts(engine, rule) if rule.rule.is_forecast else None
    if rule.rule.is_forecast and forecasts is None:
        return figure_payload(empty_figure("No stored forecasts")), \
            "No stored forecasts for this symbol and interval yet: train a model first."
    try:
        result = replay(rule.rule, bars, forecasts, cooldown_s=rule.cooldown_s,
                        one_shot=rule.one_shot)
    except ValueError as error:
        return figure_payload(empty_figure("Replay failed")), f"Replay failed: {error}"
    return figure_payload(replay_figure(bars, result)), replay_summary(result)


def _forecasts(engine: Engine, rule: alert_store.RuleValues) -> Any:
    from ml.alerts import forecast_table

    try:
        from ml.forecast import forecast_history
    except ImportError:
        return None
    return forecast_table(forecast_history(engine, rule.symbol, rule.interval,
                                           limit=REPLAY_BARS))


def replay_figure(bars: pd.DataFrame, result: Any) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(x=bars.index, y=bars["close"], mode="lines", name="close",
                       line={"width": 1.4, "color": "#6c8ebf"})
    if result.firings:
        # Forecast rules: green right, red wrong, grey not yet known; others: one colour.
        colours = ["#198754" if f.outcome else "#dc3545" if f.outcome is False else
                   ("#adb5bd" if result.rule.is_forecast else "#d63384")
                   for f in result.firings]
        figure.add_scatter(x=[f.ts for f in result.firings],
                           y=[f.detail["close"] for f in result.firings], mode="markers",
                           name="fired", marker={"size": 9, "color": colours,
                                                 "symbol": "triangle-down"},
                           text=[f.detail["message"] for f in result.firings],
                           hovertemplate="%{x}<br>%{text}<extra></extra>")
    level = result.rule.params.get("level")
    if level is not None and result.rule.rule_type in ("price", "forecast_probability"):
        figure.add_hline(y=float(level), line={"dash": "dot", "width": 1})
    figure.update_layout(height=300, margin={"l": 40, "r": 10, "t": 10, "b": 30},
                         showlegend=False)
    return figure


def replay_summary(result: Any) -> Any:
    text = [f"Would have fired {len(result.firings)} time(s) over {result.bars} bars."]
    if result.hit_rate is not None:
        text.append(f" Forecast right {result.right} of {result.scored} "
                    f"({result.hit_rate:.0%}): {result.accuracy_definition}.")
    elif result.rule.is_forecast:
        text.append(" Not enough later bars yet to score the forecast.")
    return html.Span(text, id="alerts-replay-result")


# --- events, channels, tests -----------------------------------------------------------------

@callback(
    Output(ids.ALERTS_EVENTS, "children"),
    Input(ids.ALERTS_EVENTS_TIMER, "n_intervals"),
    Input(ids.ALERTS_MARK_READ, "n_clicks"),
    prevent_initial_call=True,
)
def refresh_events(_ticks: int | None, _read: int | None) -> Any:
    user = auth.require_login()
    engine = services.database()
    if ctx.triggered_id == ids.ALERTS_MARK_READ:
        alert_store.mark_read(engine, user.id)
    return events_table(engine, user.id)


@callback(
    Output(ids.ALERTS_CHANNELS, "children"),
    Input({"type": ids.ALERTS_CHANNEL_SAVE, "channel": ALL}, "n_clicks"),
    State({"type": ids.ALERTS_CHANNEL_FIELD, "name": ALL}, "value"),
    State({"type": ids.ALERTS_CHANNEL_FIELD, "name": ALL}, "id"),
    prevent_initial_call=True,
)
def save_channel(clicks: list[int | None], values: list[Any],
                 field_ids: list[dict[str, str]]) -> Any:
    user = auth.require_login()
    if not ctx.triggered_id or not any(clicks):
        raise PreventUpdate
    channel = ctx.triggered_id["channel"]
    fields = {f["name"]: (v or "").strip() for f, v in zip(field_ids, values, strict=True)}
    config = ({"url": fields.get("url", ""), "style": fields.get("style") or "generic"}
              if channel == "webhook" else {"address": fields.get("address", "")})
    engine = services.database()
    try:
        alert_store.save_channel(engine, user.id, channel, config)
    except ValueError as error:
        return [dbc.Alert(str(error), color="danger", className="py-2", id="alerts-channel-error"),
                channels_panel(engine, user.id)]
    return channels_panel(engine, user.id)


@callback(
    Output(ids.ALERTS_TEST_STATUS, "children"),
    Output(ids.BELL_TOAST, "children", allow_duplicate=True),
    Output(ids.BELL_TOAST, "header", allow_duplicate=True),
    Output(ids.BELL_TOAST, "is_open", allow_duplicate=True),
    Input({"type": ids.ALERTS_TEST, "channel": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def send_test(clicks: list[int | None]) -> tuple[Any, ...]:
    """A test through the real path: a delivery row and a worker job (in-app, webhook, e-mail);
    the browser test is shown by the page itself (clientside)."""
    user = auth.require_login()
    if not ctx.triggered_id or not any(clicks):
        raise PreventUpdate
    channel = ctx.triggered_id["channel"]
    if channel == "browser":
        raise PreventUpdate
    engine = services.database()
    delivery_id = alert_store.create_test_delivery(engine, user.id, channel)
    try:
        services.celery_client().send_task("workers.alert_tasks.deliver", args=[delivery_id])
    except Exception as error:  # noqa: BLE001 - broker down: say so, the minute check resends
        logger.warning("test notification not queued: %s", error)
        return (f"Queued as delivery {delivery_id}; the job queue is unavailable ({error}), "
                "the minute check will send it."), dash.no_update, dash.no_update, \
            dash.no_update
    status = html.Span(f"Test {CHANNEL_LABELS[channel].lower()} notification queued "
                       f"(delivery {delivery_id}); its result shows in the channel status.",
                       id="alerts-test-queued")
    if channel == "in_app":
        return status, "Foresight test notification: this channel works.", "Test", True
    return status, dash.no_update, dash.no_update, dash.no_update


dash.clientside_callback(
    ClientsideFunction(namespace="alerts", function_name="permission"),
    Output(ids.ALERTS_PERMISSION_STATE, "children"),
    Input(ids.ALERTS_PERMISSION, "n_clicks"),
)

dash.clientside_callback(
    ClientsideFunction(namespace="alerts", function_name="test"),
    Output(ids.ALERTS_TEST_STATUS, "children", allow_duplicate=True),
    Input({"type": ids.ALERTS_TEST, "channel": "browser"}, "n_clicks"),
    prevent_initial_call=True,
)
