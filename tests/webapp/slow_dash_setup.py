"""A gunicorn app for tests/webapp/test_dash_setup.py: ``webapp.app:server`` with Dash's
first-request setup slowed down, and announced in a file when it starts.

It widens, on purpose, the window in which a fresh worker's second request used to be served by
a half-built app (the HTTP 500 on Dash's own ``polyfill`` script under load).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dash

_generate_scripts_html = dash.Dash._generate_scripts_html


def _slow_generate_scripts_html(self: dash.Dash) -> str:
    Path(os.environ["TEST_DASH_SETUP_MARKER"]).touch()
    time.sleep(float(os.environ.get("TEST_DASH_SETUP_DELAY_S", "2")))
    return _generate_scripts_html(self)


dash.Dash._generate_scripts_html = _slow_generate_scripts_html  # type: ignore[method-assign]

from webapp.app import server  # noqa: E402 - the patch must be in place when the app is built

__all__ = ["server"]
