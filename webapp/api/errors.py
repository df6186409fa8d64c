"""API errors: one JSON shape for every failure, and never a 500 for bad input.

Body: ``{"error": {"status": 422, "code": "validation_error", "message": "...",
"fields": [{"field": "interval", "reason": "..."}]}}`` (``fields`` only on 422).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
         500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    """Raised by a route to answer with ``status`` and a message a caller can act on."""

    def __init__(self, status: int, message: str, *, fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def invalid(field: str, reason: str) -> ApiError:
    """A 422 naming the one bad field."""
    return ApiError(422, f"{field}: {reason}", fields=[{"field": field, "reason": reason}])


def error_response(status: int, message: str, fields: list[dict[str, str]] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    error: dict[str, Any] = {"status": status, "code": CODES.get(status, "error"),
                             "message": message}
    if fields is not None:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="foresight"'
    return response


def register_error_handlers(blueprint: Blueprint) -> None:
    @blueprint.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error.fields, error.headers)

    @blueprint.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return error_response(status, error.description or CODES.get(status, "error"))

    @blueprint.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("API request failed")
        return error_response(500, f"internal error ({type(error).__name__}); it was logged")
