"""Serve third-party browser files from installed packages: Bootstrap 5 CSS and Bootstrap Icons
from the ``bootstrap-flask`` wheel, and the partial plotly.js bundle ``scripts/build-plotly``
builds from the npm registry's ``plotly.js``.

dash-bootstrap-components' ``dbc.themes`` are CDN links, which leave the page unstyled with no
internet. The files come from pinned registry packages, so nothing third-party is committed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import flask_bootstrap
from flask import Blueprint, abort, current_app, send_file, send_from_directory
from flask.typing import ResponseReturnValue

logger = logging.getLogger(__name__)

BOOTSTRAP_STATIC = Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"
VENDOR_PREFIX = "/vendor/bootstrap"

BOOTSTRAP_CSS = f"{VENDOR_PREFIX}/css/bootstrap.min.css"
ICONS_CSS = f"{VENDOR_PREFIX}/css/font/bootstrap-icons.min.css"
BOOTSTRAP_JS = f"{VENDOR_PREFIX}/js/bootstrap.min.js"

PLOTLY_PREFIX = "/vendor/plotly"
# Where scripts/build-plotly puts the bundle: inside the virtual environment, like a package.
DEFAULT_PLOTLY_BUNDLE = Path(sys.prefix) / "share" / "foresight" / "plotly-foresight.min.js"
_BANNER = re.compile(r"/\*! foresight partial plotly\.js (?P<version>[\w.\-]+): "
                     r"(?P<traces>[a-z0-9 ]+) \*/")
PLOTLY_CONFIG_KEY = "FORESIGHT_PLOTLY_BUNDLE"
YEAR_S = 365 * 24 * 3600

vendor_blueprint = Blueprint("vendor", __name__)


@vendor_blueprint.route(f"{VENDOR_PREFIX}/<path:filename>")
def bootstrap_file(filename: str) -> ResponseReturnValue:
    return send_from_directory(BOOTSTRAP_STATIC, filename, max_age=7 * 24 * 3600)


@dataclass(frozen=True)
class PlotlyBundle:
    """A built partial plotly.js: its file, version, trace types and content digest."""

    path: Path
    version: str
    traces: tuple[str, ...]
    digest: str

    @property
    def filename(self) -> str:
        # The digest is in the name, so the file can be cached for a year and a rebuild still
        # reaches every browser.
        return f"plotly-{self.version}-{self.digest}.min.js"

    @property
    def url(self) -> str:
        return f"{PLOTLY_PREFIX}/{self.filename}"


def plotlyjs_version() -> str:
    """The plotly.js version plotly.py ships, which Dash would otherwise load."""
    from plotly.offline import get_plotlyjs_version

    return str(get_plotlyjs_version())


def find_plotly_bundle(path: Path | None = None) -> PlotlyBundle | None:
    """The partial bundle when it is built and matches plotly.py's plotly.js, else None.

    A mismatch (plotly upgraded, bundle not rebuilt) falls back to the full plotly.js: figure
    attributes of one release may be unknown to another.
    """
    path = path or DEFAULT_PLOTLY_BUNDLE
    try:
        content = path.read_bytes()
    except OSError:
        logger.info("plotly.js: no partial bundle at %s; serving the full plotly.js "
                    "(run scripts/build-plotly for a faster first chart)", path)
        return None
    match = _BANNER.match(content[:300].decode("utf-8", "replace"))
    expected = plotlyjs_version()
    if match is None or match["version"] != expected:
        found = match["version"] if match else "no foresight banner"
        logger.warning("plotly.js: %s is not a partial bundle of plotly.js %s (%s); serving "
                       "the full plotly.js (run scripts/build-plotly --force)", path, expected,
                       found)
        return None
    bundle = PlotlyBundle(path=path, version=match["version"],
                          traces=tuple(match["traces"].split()),
                          digest=hashlib.sha256(content).hexdigest()[:12])
    logger.info("plotly.js: partial bundle %s (%s; %d KB)", bundle.version,
                ", ".join(bundle.traces), len(content) // 1024)
    return bundle


@vendor_blueprint.route(f"{PLOTLY_PREFIX}/<filename>")
def plotly_file(filename: str) -> ResponseReturnValue:
    bundle: PlotlyBundle | None = current_app.config.get(PLOTLY_CONFIG_KEY)
    if bundle is None or filename != bundle.filename:
        abort(404)
    return send_file(bundle.path, mimetype="text/javascript", max_age=YEAR_S)
