"""Serve Bootstrap 5 CSS and Bootstrap Icons from the installed ``bootstrap-flask`` wheel.

dash-bootstrap-components' ``dbc.themes`` are CDN links, which leave the page unstyled with no
internet. The files come from a pinned registry package, so nothing third-party is committed.
"""

from __future__ import annotations

from pathlib import Path

import flask_bootstrap
from flask import Blueprint, send_from_directory
from flask.typing import ResponseReturnValue

BOOTSTRAP_STATIC = Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"
VENDOR_PREFIX = "/vendor/bootstrap"

BOOTSTRAP_CSS = f"{VENDOR_PREFIX}/css/bootstrap.min.css"
ICONS_CSS = f"{VENDOR_PREFIX}/css/font/bootstrap-icons.min.css"
BOOTSTRAP_JS = f"{VENDOR_PREFIX}/js/bootstrap.min.js"

vendor_blueprint = Blueprint("vendor", __name__)


@vendor_blueprint.route(f"{VENDOR_PREFIX}/<path:filename>")
def bootstrap_file(filename: str) -> ResponseReturnValue:
    return send_from_directory(BOOTSTRAP_STATIC, filename, max_age=7 * 24 * 3600)
