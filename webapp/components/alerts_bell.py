"""The navbar bell: unread alert count, a toast for each new alert, browser notifications.

Rendered only for a logged-in user (its ids start ``account-``, so the auth guard refuses
anyone else). It polls a cheap indexed count every few seconds, so it works the same with or
without Redis; new events since the last poll become a toast and, when the user allowed it and
the rule asked for the browser channel, a Notification (``assets/alerts.js``).
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html

from webapp import ids

logger = logging.getLogger(__name__)

POLL_MS = 3000
TOAST_MS = 10_000


def alerts_bell() -> html.Div | None:
    """The bell for the current user, or None when nobody is logged in."""
    from webapp import auth

    try:
        user = auth.current()
    except RuntimeError:  # no request (the layout built outside a request): no bell
        return None
    if user is None:
        return None
    return html.Div([
        html.A([
            html.I(className="bi bi-bell fs-5", **{"aria-hidden": "true"}),
            dbc.Badge("", id=ids.BELL_COUNT, color="danger", pill=True,
                      className="position-absolute top-0 start-100 translate-middle d-none"),
            html.Span("Alerts", className="visually-hidden"),
        ], href="/alerts", id=ids.BELL, className="nav-link position-relative px-2",
            title="Alerts"),
        dcc.Interval(id=ids.BELL_TIMER, interval=POLL_MS),
        dcc.Store(id=ids.BELL_SEEN),
        dcc.Store(id=ids.BELL_NOTIFY),
        html.Div(id=ids.BELL_NOTIFIED, hidden=True),
        dbc.Toast(id=ids.BELL_TOAST, header="Alert", is_open=False, dismissable=True,
                  duration=TOAST_MS, icon="warning", className="alert-toast"),
    ], className="d-flex align-items-center ms-auto me-2 order-lg-last ms-lg-3")


def _badge(count: int) -> tuple[str, str]:
    base = "position-absolute top-0 start-100 translate-middle"
    if count <= 0:
        return "", f"{base} d-none"
    return ("99+" if count > 99 else str(count)), base


@dash.callback(
    Output(ids.BELL_COUNT, "children"),
    Output(ids.BELL_COUNT, "className"),
    Output(ids.BELL_SEEN, "data"),
    Output(ids.BELL_TOAST, "children"),
    Output(ids.BELL_TOAST, "header"),
    Output(ids.BELL_TOAST, "is_open"),
    Output(ids.BELL_NOTIFY, "data"),
    Input(ids.BELL_TIMER, "n_intervals"),
    State(ids.BELL_SEEN, "data"),
)
def poll_bell(_ticks: int | None, seen: int | None) -> tuple[Any, ...]:
    """Unread count; new events since ``seen`` become the toast and browser notifications."""
    from ml.alerts import list_events, mark_browser_delivered, unread_count
    from webapp import auth, services

    user = auth.require_login()
    engine = services.database()
    unread, newest = unread_count(engine, user.id)
    text, class_name = _badge(unread)
    if seen is None or newest <= seen:
        # First poll of this page: remember where we are, do not replay old alerts as toasts.
        return text, class_name, newest, dash.no_update, dash.no_update, dash.no_update, \
            dash.no_update
    fresh = list_events(engine, user.id, after_id=seen, limit=20)
    messages = [str(e["payload"].get("message", "Alert")) for e in fresh]
    body = html.Div([html.Div(m, className="alert-toast-message") for m in messages[-3:]]
                    + ([html.Div(f"and {len(messages) - 3} more", className="small")]
                       if len(messages) > 3 else []))
    browser = [e for e in fresh if "browser" in _channels(e)]
    notify = [{"id": e["id"], "title": f"Foresight: {e['symbol']} {e['interval']}",
               "body": str(e["payload"].get("message", ""))} for e in browser]
    if browser:
        mark_browser_delivered(engine, user.id, [e["id"] for e in browser])
    header = "New alert" if len(fresh) == 1 else f"{len(fresh)} new alerts"
    return text, class_name, newest, body, header, True, notify or dash.no_update


def _channels(event: dict[str, Any]) -> list[str]:
    return list(event["payload"].get("channels") or [])


dash.clientside_callback(
    ClientsideFunction(namespace="alerts", function_name="notify"),
    Output(ids.BELL_NOTIFIED, "children"),
    Input(ids.BELL_NOTIFY, "data"),
    prevent_initial_call=True,
)
