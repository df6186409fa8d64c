"""The ``/api/v1`` blueprint: token authentication, rate limits, routes, OpenAPI document.

Every route but ``/openapi.json`` needs a caller: an API token (``Authorization: Bearer``),
or, for GET only, the browser's login session (so ``EventSource`` can open ``/stream``; a
cookie never authorises a write, so no write can be forged cross-site). Admin routes check
the role on the server with ``require_admin``.
"""

from __future__ import annotations

import hashlib
import logging

import flask
from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from pydantic import Field
from pydantic_settings import BaseSettings
from werkzeug.exceptions import HTTPException

from ml.settings import load_settings, settings_config
from webapp import accounts, auth, services
from webapp.accounts import User
from webapp.api import alerts, forecasts, jobs, market, openapi, stream
from webapp.api.errors import ApiError, error_response, register_error_handlers
from webapp.api.ttl_cache import cached

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = frozenset({"api_v1.openapi"})


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return None
    token = _bearer()
    user: User | None = None
    if token is not None:
        # Reused for a few seconds per process: a revoked token stops within token_cache_s.
        user = cached("token", accounts.hash_token(token),
                      current_app.config.get("FORESIGHT_TOKEN_CACHE_S", 0.0),
                      lambda: accounts.user_for_token(services.database(), token),
                      keep=lambda found: found is not None)
        if user is None:
            raise ApiError(401, "the API token is unknown or revoked")
    elif request.method in {"GET", "HEAD"}:
        user = auth.current()
    if user is None:
        raise ApiError(401, "send an API token: 'Authorization: Bearer <token>' (create one "
                       "on the account page or with `python -m webapp create-token USER`)")
    flask.g.api_user = user
    return None


def rate_limit_key() -> str:
    """Per token (its hash, never the token), else per client address."""
    token = _bearer()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


def api_blueprint() -> Blueprint:
    """A fresh blueprint (one per app, so rate limits attach to this app only)."""
    blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    register_error_handlers(blueprint)
    blueprint.before_request(_authenticate)
    blueprint.add_url_rule("/openapi.json", "openapi", openapi.document, methods=["GET"])
    market.register(blueprint)
    forecasts.register(blueprint)
    jobs.register(blueprint)
    alerts.register(blueprint)
    stream.register(blueprint)
    # Without this, Dash's catch-all page route would answer unknown API paths with HTML.
    blueprint.add_url_rule("/<path:_rest>", "unknown", _unknown,
                           methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    return blueprint


def _unknown(_rest: str) -> ResponseReturnValue:
    raise ApiError(404, f"no such API route: {request.method} {request.path} "
                   f"(see {PREFIX}/openapi.json)")


def _routing_error(error: HTTPException) -> ResponseReturnValue:
    """Unmatched URLs and methods never reach a blueprint's handlers: JSON for API paths."""
    if request.path.startswith(PREFIX):
        return error_response(error.code or 404, error.description or "not found")
    return error


class ApiSettings(BaseSettings):
    """``api_fetch``: may an API read fetch a symbol the cache lacks from its provider?
    Off, unknown symbols are 404 and no token holder can make the server call Yahoo."""

    model_config = settings_config()

    api_fetch: bool = Field(default=True)
    api_token_cache_s: float = Field(default=5.0, ge=0, le=300, description="how long a web "
                                 "process reuses a token check (revocation delay)")


def init_api(server: Flask, limiter: Limiter, limit: str) -> None:
    settings = load_settings(ApiSettings)
    server.config["FORESIGHT_API_FETCH"] = settings.api_fetch
    server.config["FORESIGHT_TOKEN_CACHE_S"] = settings.api_token_cache_s
    blueprint = api_blueprint()
    limiter.limit(limit, key_func=rate_limit_key)(blueprint)
    server.register_blueprint(blueprint)
    server.register_error_handler(404, _routing_error)
    server.register_error_handler(405, _routing_error)
