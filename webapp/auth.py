"""Logins, roles and the server-side checks that enforce them.

Dash answers every callback at ``POST /_dash-update-component`` whatever page the browser
shows, so hiding an admin button protects nothing. Two layers guard instead:

* ``_guard`` (a ``before_request`` hook) reads the ids a callback request names and refuses
  it before any callback code runs: ids starting ``admin-`` need an admin, ids starting
  ``account-`` need a login, and with ``FORESIGHT_LOGIN_REQUIRED`` everything but the login
  page needs a login. It also refuses state-changing requests whose ``Origin`` is another
  site (CSRF; Dash's dispatch view cannot carry a form token, dash#807).
* Each admin callback calls ``require_admin()`` itself, so a callback registered with an id
  that breaks the naming rule still refuses.

Passwords are checked by ``POST /auth/login`` (a plain form, rate limited by flask-limiter on
Redis, in memory in fallback mode); ``POST /auth/logout`` ends the session.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
from flask import Flask, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings
from werkzeug.exceptions import Forbidden, Unauthorized

from ml.settings import load_settings, settings_config
from webapp import accounts, services
from webapp.accounts import AccountError, User

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "admin-"
ACCOUNT_PREFIX = "account-"
LOGIN_PATH = "/login"
DASH_DISPATCH = "/_dash-update-component"
# Callbacks every visitor may run even when a login is required (the page frame itself).
PUBLIC_CALLBACK_IDS = frozenset({"navbar-toggler", "navbar-collapse", "theme-switch",
                                 "theme-store"})
PUBLIC_PATH_PREFIXES = ("/auth/", "/login", "/healthz", "/livez", "/vendor/", "/assets/",
                        "/_dash-", "/_favicon", "/favicon", "/api/")

class AuthSettings(BaseSettings):
    """Cookies, who may read pages, and the rate limits.

    ``cookie_secure`` must be on whenever the app is served over HTTPS (the default is off
    because ``scripts/run`` serves plain HTTP on loopback). ``admin_username`` with
    ``admin_password`` creates the first admin on start when there is none.
    """

    model_config = settings_config()

    cookie_secure: bool = Field(default=False)
    login_required: bool = Field(default=False, description="also require a login to read "
                                 "market pages (admin and account pages always need one)")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    login_rate_limit: str = Field(default="5 per minute;20 per hour",
                                  description="per client address and username")
    login_ip_rate_limit: str = Field(default="60 per minute", description="per address")
    api_rate_limit: str = Field(default="1200 per minute", description="per API token")
    admin_username: str = Field(default="admin")
    admin_password: SecretStr = Field(default=SecretStr(""))


def auth_settings() -> AuthSettings:
    return load_settings(AuthSettings)


# --- who is asking ----------------------------------------------------------------------------

def current() -> User | None:
    """The logged-in user of this request (session or API token), or None."""
    user = flask.g.get("api_user")
    if user is not None:
        return user  # type: ignore[no-any-return]
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def require_login() -> User:
    """The user, or 401: call at the top of any callback that reads or writes owned data."""
    user = current()
    if user is None:
        raise Unauthorized("log in first")
    return user


def require_admin() -> User:
    """The admin user, or 401 (anonymous) / 403 (viewer): call in every admin callback."""
    user = require_login()
    if not user.is_admin:
        raise Forbidden("this needs an admin account")
    return user


# Jobs a visitor may start from the public pages; their outcome is public market analysis.
PUBLIC_JOB_TASKS = frozenset({"workers.tasks.run_backtest", "workers.tasks.predict"})


def can_see_job(status: dict[str, Any]) -> bool:
    """May this request see the job whose id came back from the browser?

    Job ids held in client stores are not trusted as authority: an admin sees every job, a
    user the jobs they started, a visitor only public-page jobs nobody logged in started.
    Pages that follow a job id from a ``dcc.Store`` pass its ``job_status`` through this.
    """
    user = current()
    if user is not None and user.is_admin:
        return True
    requester = status.get("requested_by")
    if user is not None:
        return bool(requester == user.username)
    return requester is None and status.get("task") in PUBLIC_JOB_TASKS


def safe_next(target: str | None) -> str:
    """Only same-site relative paths may be redirected to after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or urlsplit(target).netloc:
        return "/"
    return target


# --- wiring -----------------------------------------------------------------------------------

def init_auth(server: Flask, settings: AuthSettings | None = None) -> Limiter:
    """Configure cookies, Flask-Login, the limiter and the guard on ``server``."""
    settings = settings or auth_settings()
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        FORESIGHT_AUTH=settings,
    )
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.init_app(server)
    limiter = _make_limiter(server)
    server.before_request(_guard)
    server.register_error_handler(429, _too_many_requests)
    login_view = limiter.limit(settings.login_rate_limit, key_func=_login_key,
                               methods=["POST"], deduct_when=_failed_login)(
        limiter.limit(settings.login_ip_rate_limit, methods=["POST"])(login))
    server.add_url_rule("/auth/login", "auth.login", login_view, methods=["POST"])
    server.add_url_rule("/auth/logout", "auth.logout", logout, methods=["POST"])
    _first_run(settings)
    return limiter


def _make_limiter(server: Flask) -> Limiter:
    worker = services.worker_settings()
    storage = "memory://"
    if worker.mode == "redis":
        storage = worker.redis_db_url(worker.broker_db)
    limiter = Limiter(key_func=get_remote_address, app=server, storage_uri=storage,
                      storage_options={"socket_timeout": worker.broker_timeout_s,
                                       "socket_connect_timeout": worker.broker_timeout_s},
                      strategy="fixed-window", headers_enabled=False, swallow_errors=True,
                      in_memory_fallback_enabled=True, key_prefix="foresight-limits")
    logger.info("rate limits stored in %s", "redis" if storage != "memory://" else "memory")
    return limiter


def _load_user(user_id: str) -> User | None:
    try:
        return accounts.get_user(services.database(), int(user_id))
    except (TypeError, ValueError):
        return None


def _login_key() -> str:
    return f"{get_remote_address()}|{request.form.get('username', '')[:64].lower()}"


def _failed_login(response: flask.Response) -> bool:
    """Only failed attempts count against the per-user limit."""
    return (response.location or "").startswith(f"{LOGIN_PATH}?error=")


def _first_run(settings: AuthSettings) -> None:
    """Create the first admin from the environment, or say how to create one."""
    engine = services.database()
    if accounts.count_users(engine, "admin"):
        return
    password = settings.admin_password.get_secret_value()
    if password:
        try:
            accounts.create_user(engine, settings.admin_username, password, "admin")
        except AccountError as error:
            if accounts.find_user(engine, settings.admin_username) is None:
                logger.error("cannot create the first admin: %s", error)
                return
        logger.warning("created admin %r from FORESIGHT_ADMIN_PASSWORD: log in at %s",
                       settings.admin_username, LOGIN_PATH)
        return
    logger.warning("no admin account yet. Create one with:  .venv/bin/python -m webapp "
                   "create-admin admin   (it asks for a password), then log in at %s",
                   LOGIN_PATH)


# --- the guard --------------------------------------------------------------------------------

def _guard() -> ResponseReturnValue | None:
    if request.method not in {"GET", "HEAD", "OPTIONS"} and not _same_origin():
        return _refuse(403, "cross-site request refused")
    if request.path == DASH_DISPATCH:
        return _guard_callback()
    settings: AuthSettings = current_app.config["FORESIGHT_AUTH"]
    if settings.login_required and request.method == "GET" and current() is None \
            and not request.path.startswith(PUBLIC_PATH_PREFIXES):
        return redirect(f"{LOGIN_PATH}?{urlencode({'next': request.full_path.rstrip('?')})}")
    return None


def _same_origin() -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if not origin:
        return True  # programs send none; browsers send one on every cross-site POST
    if request.path.startswith("/api/") and "Authorization" in request.headers:
        return True  # a bearer token is no ambient credential: nothing to forge
    return urlsplit(origin).netloc == request.host


def _guard_callback() -> ResponseReturnValue | None:
    body = request.get_json(silent=True, cache=True)
    if not isinstance(body, dict):
        return None  # Dash itself answers a malformed body with an error
    names = set(_callback_ids(body))
    user = current()
    if any(name.startswith(ADMIN_PREFIX) for name in names):
        if user is None:
            return _refuse(401, "log in as an admin")
        if not user.is_admin:
            return _refuse(403, "this needs an admin account")
    if user is None and any(name.startswith(ACCOUNT_PREFIX) for name in names):
        return _refuse(401, "log in first")
    settings: AuthSettings = current_app.config["FORESIGHT_AUTH"]
    if settings.login_required and user is None and not _public_callback(body, names):
        return _refuse(401, "log in first")
    return None


def _callback_ids(body: dict[str, Any]) -> Iterator[str]:
    """Every component id a callback request names (outputs, inputs, state)."""
    output = body.get("output")
    if isinstance(output, str):
        for part in output.strip(".").split("..."):
            yield part.rsplit(".", 1)[0].lstrip(".")
    for key in ("outputs", "inputs", "state"):
        yield from _ids_in(body.get(key))


def _ids_in(items: object) -> Iterator[str]:
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, list):
            yield from _ids_in(item)
        elif isinstance(item, dict):
            component = item.get("id")
            if isinstance(component, dict):
                yield str(component.get("type", json.dumps(component, sort_keys=True)))
            elif component is not None:
                yield str(component)


def _public_callback(body: dict[str, Any], names: set[str]) -> bool:
    if names and names <= PUBLIC_CALLBACK_IDS:
        return True
    # Dash pages render a page's layout from the pathname the client sends; only the login
    # page's layout may be rendered for a visitor, and claiming "/login" yields just that.
    if "_pages_content" in names:
        pathname = next((i.get("value") for i in body.get("inputs", [])
                         if isinstance(i, dict) and i.get("property") == "pathname"), None)
        return pathname == LOGIN_PATH
    return False


def _refuse(status: int, message: str) -> flask.Response:
    """The API's error shape, so callers parse one format whichever layer refused."""
    from webapp.api.errors import error_response

    return error_response(status, message)


def _too_many_requests(error: Exception) -> ResponseReturnValue:
    if request.path == "/auth/login":
        return redirect(f"{LOGIN_PATH}?{urlencode({'error': 'limited'})}")
    response = _refuse(429, f"too many requests: {getattr(error, 'description', '')}")
    # X-RateLimit-* headers are off (they cost two more Redis round trips per request); the
    # window length is a safe Retry-After.
    limit = getattr(getattr(error, "limit", None), "limit", None)
    response.headers["Retry-After"] = str(limit.get_expiry() if limit is not None else 60)
    return response


# --- login and logout views -------------------------------------------------------------------

def login() -> ResponseReturnValue:
    """The login form posts here; failures go back to the form with a reason."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    user = accounts.authenticate(services.database(), username, password)
    if user is None:
        logger.info("failed login for %r from %s", username[:64], get_remote_address())
        query = urlencode({"error": "invalid", "next": target})
        return redirect(f"{LOGIN_PATH}?{query}")
    flask.session.clear()  # a fresh session: nothing from before the login carries over
    login_user(user)
    flask.session.permanent = True
    logger.info("%s %r logged in", user.role, user.username)
    return redirect(target)


def logout() -> ResponseReturnValue:
    logout_user()
    flask.session.clear()
    return redirect("/")
