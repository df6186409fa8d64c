"""Log in: a plain HTML form posting to ``/auth/login`` (rate limited, see webapp/auth.py)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from webapp import accounts, auth, ids, services
from webapp.components.logout import logout_form

dash.register_page(__name__, path=auth.LOGIN_PATH, name="Log in", order=98, hidden=True,
                   title="Foresight · Log in")

MESSAGES = {
    "invalid": "Wrong username or password.",
    "limited": "Too many attempts: wait a minute and try again.",
}


def _first_run_hint() -> dbc.Alert | None:
    if accounts.count_users(services.database(), "admin"):
        return None
    return dbc.Alert([
        html.Strong("No admin account yet. "),
        "On the server, run ", html.Code("python -m webapp create-admin admin"),
        " (it asks for a password), then log in here.",
    ], color="info", id="login-first-run")


def layout(error: str = "", next: str = "/", **_query: str) -> html.Div:  # noqa: A002
    user = auth.current()
    if user is not None:
        return html.Div([
            html.H1("Logged in", className="h3"),
            html.P(["You are logged in as ", html.Strong(user.username), f" ({user.role})."]),
            logout_form(),
        ], className="login-page mx-auto", style={"maxWidth": "26rem"})
    message = MESSAGES.get(error)
    return html.Div([
        html.H1("Log in", className="h3 mb-3"),
        _first_run_hint(),
        dbc.Alert(message, color="danger", id="login-error") if message else None,
        html.Form([
            dbc.Label("Username", html_for="login-username"),
            dbc.Input(id="login-username", name="username", type="text", required=True,
                      autoComplete="username", className="mb-3", maxLength=64),
            dbc.Label("Password", html_for="login-password"),
            dbc.Input(id="login-password", name="password", type="password", required=True,
                      autoComplete="current-password", className="mb-3", maxLength=1024),
            dcc.Input(type="hidden", name="next", value=auth.safe_next(next)),
            dbc.Button([html.I(className="bi bi-box-arrow-in-right me-2"), "Log in"],
                       type="submit", color="primary", id="login-submit"),
        ], id=ids.LOGIN_FORM, action="/auth/login", method="POST"),
    ], className="login-page mx-auto", style={"maxWidth": "26rem"})

