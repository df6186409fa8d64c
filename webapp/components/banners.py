"""Banners that tell a trader what went wrong in words, never a traceback.

``problem_banner`` maps the data layer's named errors (``ml.data.errors``) to a title, an
icon and a suggestion; the error's own message (written for traders) is shown as it is.
"""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import html

from ml.data import errors

logger = logging.getLogger(__name__)

# Most specific first: the first isinstance match wins.
_KINDS: tuple[tuple[type[Exception], str, str, str, str], ...] = (
    (errors.NetworkError, "no-network", "No network", "bi-wifi-off",
     "The provider cannot be reached. Sample symbols (sample:SPX, sample:GOOG, "
     "sample:EURUSD) and imported CSV files work offline."),
    (errors.RateLimitedError, "rate-limited", "Provider busy", "bi-hourglass-split",
     "The provider is refusing requests for a while; try again in a few minutes."),
    (errors.UnknownSymbolError, "unknown-symbol", "Unknown symbol", "bi-question-circle",
     "Check the spelling: Yahoo tickers look like AAPL, BTC-USD, EURUSD=X, GC=F, ^GSPC."),
    (errors.InvalidSymbolError, "unknown-symbol", "Unknown symbol", "bi-question-circle",
     "Yahoo tickers look like AAPL, BTC-USD, EURUSD=X, GC=F, ^GSPC; samples like "
     "sample:SPX."),
    (errors.NoDataError, "no-data", "No data", "bi-inbox",
     "The provider has no bars for this symbol and range."),
    (errors.UnsupportedIntervalError, "interval", "Interval not available", "bi-clock",
     "Pick a coarser interval for this source."),
    (errors.DataError, "data-error", "Data problem", "bi-exclamation-triangle", ""),
)


def kind_of(error: Exception) -> str:
    for cls, kind, *_ in _KINDS:
        if isinstance(error, cls):
            return kind
    return "error"


def problem_banner(error: Exception, *, subject: str = "") -> html.Div:
    """A red (or amber for network/rate limit) banner for a failed load."""
    match = next((row for row in _KINDS if isinstance(error, row[0])), None)
    if match is None:
        kind, title, icon, advice = "error", "Something went wrong", "bi-bug", ""
        logger.error("unexpected error shown as a banner", exc_info=error)
    else:
        _cls, kind, title, icon, advice = match
    colour = "warning" if kind in {"no-network", "rate-limited"} else "danger"
    heading = f"{title}: {subject}" if subject else title
    message = str(error) if isinstance(error, errors.DataError) else (
        "An unexpected error occurred; it has been logged.")
    body = [html.Div([html.I(className=f"bi {icon} me-2"), html.Strong(heading)]),
            html.Div(message, className="small mt-1")]
    if advice:
        body.append(html.Div(advice, className="small text-body-secondary mt-1"))
    return html.Div(dbc.Alert(body, color=colour, className="mb-2"),
                    className="problem-banner", **{"data-kind": kind})


def note_banner(text: str, *, kind: str, colour: str = "warning",
                icon: str = "bi-info-circle") -> html.Div:
    """An amber note (stale data, served from cache, provider limits)."""
    return html.Div(dbc.Alert([html.I(className=f"bi {icon} me-2"), text], color=colour,
                              className="mb-2 py-2 small"),
                    className="note-banner", **{"data-kind": kind})
