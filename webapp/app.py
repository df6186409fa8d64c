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
    _finish_dash_setup(app)
    return app


def _finish_dash_setup(app: dash.Dash) -> None:
    """Run Dash's one-time setup now, in this thread, instead of on the first request.

    Dash does it in ``before_request`` hooks that mark themselves done *before* they finish, so
    under gunicorn's threads a fresh worker's second request could be served by a half-built app:
    Dash's component suites not yet registered, an HTTP 500 on its own ``polyfill`` script
    (tests/webapp/test_dash_setup.py). Run here, the worker takes no request until it is done.
    """
    hooks = [hook for hook in app.server.before_request_funcs.get(None, [])
             if getattr(hook, "__module__", "").startswith("dash.")]
    if not hooks:
        raise RuntimeError("Dash's first-request setup hooks were not found: check the Dash "
                           "upgrade against webapp/app.py::_finish_dash_setup")
    with app.server.test_request_context("/"):
        for hook in hooks:
            hook()


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
