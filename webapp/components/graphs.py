"""Themed graphs: the server sends a theme-free figure to a store, the browser draws it with the
template of the current theme (``assets/figures.js``).

A theme switch is then a browser-only patch of ``layout.template``: no server round trip, and
no redraw of data that replay or live updates have appended.
"""

from __future__ import annotations

import textwrap
from typing import Any

import dash
from dash import MATCH, ClientsideFunction, Input, Output, dcc

from webapp import ids
from webapp.components.arrays import encode_arrays
from webapp.components.theme import templates

GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": True, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def graph_id(name: str) -> dict[str, str]:
    return {"type": ids.FIG_GRAPH, "name": name}


def data_id(name: str) -> dict[str, str]:
    return {"type": ids.FIG_DATA, "name": name}


def themed_graph(name: str, *, min_height: int = 320, class_name: str = "",
                 payload: dict[str, Any] | None = None) -> list[Any]:
    """A figure store and its graph (inside a loading spinner), drawn in the current theme.

    ``payload`` (a ``figure_payload``) fills the store at once, for graphs a callback creates.
    """
    graph = dcc.Graph(id=graph_id(name), config=GRAPH_CONFIG,
                      className=f"themed-graph graph-{name} {class_name}".strip(),
                      style={"minHeight": f"{min_height}px"})
    return [dcc.Store(id=data_id(name), data=payload),
            dcc.Loading(graph, type="default", delay_show=150,
                        parent_className="graph-loading")]


def figure_payload(figure: dict[str, Any] | Any) -> dict[str, Any]:
    """What the figure store holds: the figure and both theme templates."""
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()  # go.Figure: plotly already encodes its arrays
    return {"figure": encode_arrays(figure), "templates": templates()}


def empty_figure(message: str, height: int = 160) -> dict[str, Any]:
    """A blank figure with a centred message, for when there is nothing to draw."""
    message = "<br>".join(textwrap.wrap(message, 48)) or " "
    return {"data": [], "layout": {
        "height": height, "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "annotations": [{"text": message, "showarrow": False, "xref": "paper",
                         "yref": "paper", "x": 0.5, "y": 0.5, "font": {"size": 14}}]}}


dash.clientside_callback(
    ClientsideFunction(namespace="figures", function_name="render"),
    Output({"type": ids.FIG_GRAPH, "name": MATCH}, "figure"),
    Input({"type": ids.FIG_DATA, "name": MATCH}, "data"),
    Input(ids.THEME_STORE, "data"),
)
