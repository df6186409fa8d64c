"""The account page: API tokens (created and shown once, revoked) and the watchlist."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate

from webapp import accounts, auth, ids, services
from webapp.components.logout import logout_form

dash.register_page(__name__, path="/account", name="Account", order=90,
                   title="Foresight · Account")


def layout(**_query: str) -> html.Div:
    user = auth.current()
    if user is None:
        return html.Div([
            html.H1("Account", className="h3"),
            dbc.Alert(["You are not logged in. ",
                       dbc.Button("Log in", href=f"{auth.LOGIN_PATH}?next=/account",
                                  color="primary", size="sm", className="ms-2")],
                      color="secondary", id="account-anonymous"),
        ])
    engine = services.database()
    return html.Div([
        html.Div([
            html.H1("Account", className="h3 mb-0"),
            html.Span([html.I(className="bi bi-person-circle me-1"), user.username,
                       dbc.Badge(user.role, color="dark" if user.is_admin else "secondary",
                                 className="ms-2")], className="ms-3"),
            html.Div(logout_form(), className="ms-auto"),
        ], className="d-flex align-items-center mb-3 flex-wrap gap-2"),
        dbc.Card([
            dbc.CardHeader("API tokens"),
            dbc.CardBody([
                html.P(["Programs send a token as ", html.Code("Authorization: Bearer <token>"),
                        " to the REST API at ", html.Code("/api/v1"), ". A token is shown "
                        "once, when created; only its hash is kept."], className="small"),
                dbc.InputGroup([
                    dbc.Input(id=ids.ACCOUNT_TOKEN_NAME, placeholder="Token name, e.g. laptop",
                              maxLength=accounts.TOKEN_NAME_MAX),
                    dbc.Button("Create token", id=ids.ACCOUNT_TOKEN_CREATE, color="primary"),
                ], className="mb-2"),
                html.Div(id=ids.ACCOUNT_TOKEN_NEW),
                html.Div(token_table(accounts.list_tokens(engine, user.id)),
                         id=ids.ACCOUNT_TOKENS),
            ]),
        ], className="mb-3"),
        dbc.Card([
            dbc.CardHeader("Watchlist"),
            dbc.CardBody([
                dbc.Textarea(id=ids.ACCOUNT_WATCHLIST, rows=3,
                             value=", ".join(accounts.get_watchlist(engine, user.id)),
                             placeholder="AAPL, BTC-USD, sample:SPX"),
                dbc.Button("Save watchlist", id=ids.ACCOUNT_WATCHLIST_SAVE, className="mt-2",
                           color="secondary"),
                html.Div(id=ids.ACCOUNT_WATCHLIST_STATUS, className="small mt-2"),
            ]),
        ]),
    ])


def token_table(tokens: list[accounts.TokenInfo]) -> html.Div | dbc.Table:
    if not tokens:
        return html.Div("No tokens yet.", className="text-body-secondary small")
    rows = []
    for token in tokens:
        action = (dbc.Badge("revoked", color="secondary") if token.revoked else
                  dbc.Button("Revoke", id={"type": ids.ACCOUNT_TOKEN_REVOKE, "index": token.id},
                             color="danger", outline=True, size="sm"))
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
        rows.append(html.Tr([html.Td(token.name), html.Td(token.created_at.strftime(
            "%Y-%m-%d %H:%M")), html.Td(used), html.Td(action)]))
    header = html.Thead(html.Tr([html.Th("Name"), html.Th("Created (UTC)"),
                                 html.Th("Last used"), html.Th("")]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", responsive=True, className="mb-0")


def _clicked() -> bool:
    """True when the button that fired was really pressed (re-rendered buttons also fire,
    with ``n_clicks`` None)."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


@callback(Output(ids.ACCOUNT_TOKEN_NEW, "children"),
          Output(ids.ACCOUNT_TOKENS, "children"),
          Input(ids.ACCOUNT_TOKEN_CREATE, "n_clicks"),
          State(ids.ACCOUNT_TOKEN_NAME, "value"),
          prevent_initial_call=True)
def create_token(_clicks: int, name: str | None) -> tuple[object, object]:
    user = auth.require_login()
    engine = services.database()
    try:
        info, token = accounts.create_token(engine, user.id, name or "")
    except accounts.AccountError as error:
        return dbc.Alert(str(error), color="danger"), dash.no_update
    shown = dbc.Alert([
        html.Div(["New token ", html.Strong(info.name), " (copy it now, it is not shown "
                  "again):"]),
        html.Code(token, id="account-token-value", className="user-select-all"),
    ], color="success")
    return shown, token_table(accounts.list_tokens(engine, user.id))


@callback(Output(ids.ACCOUNT_TOKENS, "children", allow_duplicate=True),
          Input({"type": ids.ACCOUNT_TOKEN_REVOKE, "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def revoke_token(clicks: list[int | None]) -> object:
    user = auth.require_login()
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not _clicked():
        raise PreventUpdate
    try:
        token_id = int(trigger["index"])
    except (KeyError, TypeError, ValueError):
        raise PreventUpdate from None
    engine = services.database()
    # The id comes from the client: revoke_token only touches this user's own tokens.
    accounts.revoke_token(engine, user.id, token_id)
    return token_table(accounts.list_tokens(engine, user.id))


@callback(Output(ids.ACCOUNT_WATCHLIST_STATUS, "children"),
          Input(ids.ACCOUNT_WATCHLIST_SAVE, "n_clicks"),
          State(ids.ACCOUNT_WATCHLIST, "value"),
          prevent_initial_call=True)
def save_watchlist(_clicks: int, text: str | None) -> str:
    user = auth.require_login()
    symbols = [s.strip() for s in (text or "").replace("\n", ",").split(",")]
    try:
        saved = accounts.set_watchlist(services.database(), user.id, symbols)
    except accounts.AccountError as error:
        return str(error)
    return f"Saved {len(saved)} symbol(s)."
