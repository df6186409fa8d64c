"""The Dash application factory. ``server`` is what gunicorn serves (``webapp.app:server``)."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from ml.settings import CoreSettings, load_settings, persistent_secret
from webapp import ids
from webapp.api.health import health_blueprint
from webapp.api.v1 import init_api
from webapp.auth import auth_settings, init_auth
from webapp.components.navbar import navbar, register_navbar_callbacks
from webapp.page_scripts import INDEX_STRING, external_scripts, page_scripts_blueprint
from webapp.settings import WebSettings
from webapp.vendor import (
    BOOTSTRAP_CSS,
    ICONS_CSS,
    PLOTLY_CONFIG_KEY,
    find_plotly_bundle,
    vendor_blueprint,
)

logger = logging.getLogger(__name__)

WEBAPP_DIR = Path(__file__).resolve().parent
ASSETS_DIR = WEBAPP_DIR.parent / "assets"


def create_app(web: WebSettings | None = None, core: CoreSettings | None = None) -> dash.Dash:
    web = web or load_settings(WebSettings)
    core = core or load_settings(CoreSettings)
    plotly_bundle = find_plotly_bundle(web.plotly_bundle)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(WEBAPP_DIR / "pages"),
        assets_folder=str(ASSETS_DIR),
        external_stylesheets=[BOOTSTRAP_CSS, ICONS_CSS],
        external_scripts=external_scripts(plotly_bundle),
        index_string=INDEX_STRING,
        suppress_callback_exceptions=True,
        title="Foresight",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "color-scheme", "content": "light dark"}],
    )
    server = app.server
    secret = web.secret_key.get_secret_value() or persistent_secret(core.var_dir, "secret_key")
    server.config.update(SECRET_KEY=secret, HEALTH_TIMEOUT_S=web.health_timeout_s,
                         SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    server.config[PLOTLY_CONFIG_KEY] = plotly_bundle
    server.register_blueprint(vendor_blueprint)
    server.register_blueprint(page_scripts_blueprint)
    server.register_blueprint(health_blueprint)
    auth_config = auth_settings()
    limiter = init_auth(server, auth_config)
    init_api(server, limiter, auth_config.api_rate_limit)
    app.layout = _shell
    register_navbar_callbacks(app)
    return app


def _shell() -> html.Div:
    """The frame every page sits in: navbar, page container, per-browser stores."""
    return html.Div([
        dcc.Location(id=ids.URL),
        dcc.Store(id=ids.THEME_STORE, storage_type="local"),
        dcc.Store(id=ids.JOBS_STORE, storage_type="session"),
        navbar(),
        dbc.Container(dash.page_container, fluid=True, className="py-3 page-body"),
    ])


app = create_app()
server = app.server
