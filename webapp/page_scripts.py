"""What the page loads ahead of Dash's own scripts, so the first chart comes sooner.

- Dash's ``polyfill@7`` (babel-polyfill, i.e. core-js 2) replaces ``String.prototype.trim``,
  ``parseInt``, ``parseFloat`` and a few more with JavaScript versions in current browsers,
  whose natives fail its old feature tests. plotly.js parses a colour with them for every
  candle it styles, so they cost about a fifth of a second of the Market page's first chart on
  the 2-core machine (``docs/ui.md``). An inline script at the top of ``<head>`` saves the
  natives before any script runs; ``static/restore-natives.js``, the first script after the
  polyfill and React, puts them back. The polyfill itself stays: Dash's renderer needs its
  ``regeneratorRuntime``.
- The partial plotly.js bundle (``webapp.vendor``) as ``window.Plotly``: dcc.Graph takes a
  ``window.Plotly`` it finds instead of fetching the full plotly.js when the first graph mounts.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory
from flask.typing import ResponseReturnValue

from webapp.vendor import PlotlyBundle

STATIC_DIR = Path(__file__).resolve().parent / "static"
RESTORE_NATIVES_JS = "/vendor/foresight/restore-natives.js"

# [owner expression, property] of every built-in the polyfill was seen replacing in Chromium.
_NATIVES = [("String.prototype", name) for name in
            ("trim", "trimStart", "trimEnd", "trimLeft", "trimRight")] + [
    ("Number", "parseFloat"), ("Number", "parseInt"), ("window", "parseFloat"),
    ("window", "parseInt"), ("Math", "sinh"), ("Function.prototype", "toString")]
SAVE_NATIVES_SCRIPT = "<script>window.__foresightNatives=[{}];</script>".format(
    ",".join(f'[{owner},"{name}",{owner}.{name},"{owner}.{name}"]' for owner, name in _NATIVES))

# Dash's default page with the saving script first in <head>; the placeholders are Dash's.
INDEX_STRING = f"""<!DOCTYPE html>
<html>
    <head>
        {SAVE_NATIVES_SCRIPT}
        {{%metas%}}
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
    </head>
    <body>
        {{%app_entry%}}
        <footer>
            {{%config%}}
            {{%scripts%}}
            {{%renderer%}}
        </footer>
    </body>
</html>"""

page_scripts_blueprint = Blueprint("page_scripts", __name__)


@page_scripts_blueprint.route("/vendor/foresight/<path:filename>")
def static_file(filename: str) -> ResponseReturnValue:
    return send_from_directory(STATIC_DIR, filename, max_age=24 * 3600)


def external_scripts(bundle: PlotlyBundle | None) -> list[str]:
    """Scripts Dash places right after React, before the component libraries."""
    return [RESTORE_NATIVES_JS] + ([bundle.url] if bundle else [])
