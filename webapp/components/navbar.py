"""The navbar: links built from Dash's page registry, a collapse for phones, the theme switch."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, html

from webapp import ids
from webapp.components.alerts_bell import alerts_bell


def navbar() -> dbc.Navbar:
    pages = sorted(dash.page_registry.values(), key=lambda page: page.get("order", 99))
    links = [dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
             for page in pages if not page.get("hidden")]
    theme_switch = html.Div([
        html.I(className="bi bi-sun me-2", **{"aria-hidden": "true"}),
        dbc.Switch(id=ids.THEME_SWITCH, value=False, className="mb-0",
                   label=html.I(className="bi bi-moon-stars", **{"aria-hidden": "true"}),
                   input_class_name="theme-switch-input"),
    ], className="d-flex align-items-center ms-lg-3 mt-2 mt-lg-0", title="Dark mode")
    return dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand([html.I(className="bi bi-graph-up-arrow me-2"), "Foresight"],
                            href="/"),
            alerts_bell(),
            dbc.NavbarToggler(id=ids.NAVBAR_TOGGLER, n_clicks=0),
            dbc.Collapse([dbc.Nav(links, className="me-auto", navbar=True), theme_switch],
                         id=ids.NAVBAR_COLLAPSE, is_open=False, navbar=True),
        ], fluid=True),
        color="body-tertiary",
        dark=None,
        className="border-bottom mb-0 app-navbar",
        expand="lg",
    )


def register_navbar_callbacks(app: dash.Dash) -> None:
    @app.callback(Output(ids.NAVBAR_COLLAPSE, "is_open"),
                  Input(ids.NAVBAR_TOGGLER, "n_clicks"),
                  State(ids.NAVBAR_COLLAPSE, "is_open"),
                  prevent_initial_call=True)
    def toggle_navbar(_clicks: int, is_open: bool) -> bool:
        return not is_open

    # Theme: the stored choice, else the system preference; applied in the browser only.
    app.clientside_callback(
        ClientsideFunction(namespace="theme", function_name="sync"),
        Output(ids.THEME_SWITCH, "value"),
        Output(ids.THEME_STORE, "data"),
        Input(ids.THEME_SWITCH, "value"),
        Input(ids.THEME_STORE, "data"),
    )
