"""The log-out button: a form posting to ``/auth/logout`` (a GET could be forged by a link)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def logout_form() -> html.Form:
    return html.Form(dbc.Button([html.I(className="bi bi-box-arrow-right me-2"), "Log out"],
                                type="submit", color="secondary", outline=True,
                                id="logout-submit"),
                     action="/auth/logout", method="POST", className="d-inline")
