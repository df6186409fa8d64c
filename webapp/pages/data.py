"""Data: import a CSV file by drag and drop, read its validation report, browse the cache."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from ml.data import DataError, MarketData
from ml.data.csv_import import import_csv_bytes
from webapp import ids, loaders, services
from webapp.components.cache_table import cache_table
from webapp.components.report import validation_report

logger = logging.getLogger(__name__)

dash.register_page(__name__, path="/data", name="Data", order=3, title="Foresight · Data")

_NAME_CLEAN = re.compile(r"[^A-Za-z0-9_.\-]+")


def layout(**_query: str) -> html.Div:
    limit_mb = services.core_settings().csv_max_bytes / 1e6
    upload = dcc.Upload(
        id=ids.DATA_UPLOAD, multiple=False, accept=".csv,text/csv,text/plain",
        max_size=services.core_settings().csv_max_bytes,
        className="upload-zone", className_active="upload-zone active",
        children=html.Div([
            html.I(className="bi bi-cloud-arrow-up fs-2 d-block mb-1"),
            html.Span("Drop a CSV file here or "), html.A("choose one", href="#",
                                                          className="link-primary"),
            html.Div(f"Columns: date/time, open, high, low, close (volume optional); up to "
                     f"{limit_mb:.0f} MB.", className="small text-body-secondary mt-1"),
        ], className="text-center"))
    return html.Div([
        html.H1("Data", className="h3"),
        dbc.Row([
            dbc.Col([
                html.H2("Import a CSV file", className="h5"),
                dbc.InputGroup([
                    dbc.InputGroupText("Save as csv:"),
                    dbc.Input(id=ids.DATA_UPLOAD_NAME, placeholder="name (default: file name)",
                              autocomplete="off"),
                ], size="sm", className="mb-2"),
                upload,
                dcc.Loading(html.Div(id=ids.DATA_REPORT, className="mt-3"), type="dot"),
            ], xs=12, lg=5, className="mb-3"),
            dbc.Col([
                html.Div([html.H2("Cached data", className="h5 mb-0"),
                          dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"),
                                      "Refresh"], id=ids.DATA_CACHE_REFRESH, size="sm",
                                     color="secondary", outline=True, n_clicks=0)],
                         className="d-flex justify-content-between align-items-center mb-2"),
                dcc.Loading(html.Div(id=ids.DATA_CACHE_TABLE), type="dot"),
            ], xs=12, lg=7),
        ]),
    ], className="data-page")


def import_name(filename: str, typed: str | None) -> str:
    """The ``csv:`` name: what the user typed, else the file name's stem, made safe."""
    raw = (typed or "").strip().removeprefix("csv:") or Path(filename or "upload").stem
    cleaned = _NAME_CLEAN.sub("_", raw).strip("_.-")[:48]
    return cleaned or "upload"


@callback(Output(ids.DATA_REPORT, "children"),
          Output(ids.DATA_CACHE_REFRESH, "n_clicks"),
          Input(ids.DATA_UPLOAD, "contents"),
          State(ids.DATA_UPLOAD, "filename"),
          State(ids.DATA_UPLOAD_NAME, "value"),
          State(ids.DATA_CACHE_REFRESH, "n_clicks"),
          prevent_initial_call=True)
def upload_csv(contents: str | None, filename: str | None, typed: str | None,
               refreshes: int) -> tuple[Any, int]:
    if not contents:
        raise PreventUpdate
    filename = filename or "upload.csv"
    try:
        content = _decode_upload(contents)
        name = import_name(filename, typed)
        market = MarketData(services.database(), settings=services.core_settings())
        result = import_csv_bytes(content, filename, name, market=market)
    except DataError as error:
        logger.info("CSV import of %s refused: %s", filename, error)
        return _import_error(filename, error), dash.no_update
    loaders.bump_data_generation(result.meta.symbol)
    return validation_report(result, filename), (refreshes or 0) + 1


def _decode_upload(contents: str) -> bytes:
    _header, _, encoded = contents.partition(",")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DataError(f"the upload could not be read ({error})") from None


def _import_error(filename: str, error: Exception) -> html.Div:
    return html.Div(dbc.Alert([
        html.Div([html.I(className="bi bi-x-octagon me-2"),
                  html.Strong(f"{filename} was not imported")]),
        html.Div(str(error), className="small mt-1 import-error-message"),
        html.Div("Nothing already stored was changed.",
                 className="small text-body-secondary mt-1"),
    ], color="danger"), className="import-error", **{"data-kind": type(error).__name__})


@callback(Output(ids.DATA_CACHE_TABLE, "children"), Input(ids.DATA_CACHE_REFRESH, "n_clicks"))
def show_cache(_clicks: int) -> Any:
    return cache_table(services.database())
