"""Market (home): the placeholder until the market page lands."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

dash.register_page(__name__, path="/", name="Market", order=0, title="Foresight · Market")


def layout(**_query: str) -> html.Div:
    return html.Div([
        html.H1("Markets", className="h3"),
        dbc.Alert("Charts, indicators and forecasts appear here.", color="secondary",
                  id="home-placeholder"),
    ])
