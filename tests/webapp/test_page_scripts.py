"""The scripts the index page loads ahead of Dash: the saved and restored built-ins, and the
partial plotly.js bundle with its fallback to the full one (the browser side is in
tests/browser/test_page_scripts.py)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound

from webapp import page_scripts, vendor
from webapp.app import app, server

BUNDLE_SOURCES = Path(vendor.__file__).resolve().parent / "plotly_bundle"


def _bundle_file(tmp_path: Path, version: str, body: str = "var Plotly={};") -> Path:
    path = tmp_path / "plotly-foresight.min.js"
    path.write_text(f"/*! foresight partial plotly.js {version}: scatter bar candlestick */\n"
                    f"{body}\n")
    return path


def test_a_bundle_of_plotly_pys_version_is_used(tmp_path: Path) -> None:
    bundle = vendor.find_plotly_bundle(_bundle_file(tmp_path, vendor.plotlyjs_version()))
    assert bundle is not None
    assert bundle.traces == ("scatter", "bar", "candlestick")
    assert re.fullmatch(rf"/vendor/plotly/plotly-{re.escape(bundle.version)}-[0-9a-f]{{12}}"
                        r"\.min\.js", bundle.url)
    # Another build is another address, so a year-long browser cache never serves a stale one.
    other = vendor.find_plotly_bundle(_bundle_file(tmp_path, bundle.version, "var Plotly=1;"))
    assert other is not None and other.url != bundle.url


def test_a_stale_foreign_or_missing_bundle_falls_back_to_the_full_plotly(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="webapp.vendor")
    assert vendor.find_plotly_bundle(_bundle_file(tmp_path, "0.0.1")) is None
    assert "not a partial bundle of plotly.js" in caplog.text and "0.0.1" in caplog.text
    foreign = tmp_path / "other.js"
    foreign.write_text("/* plotly.js v4 */ var Plotly={};")
    assert vendor.find_plotly_bundle(foreign) is None
    assert vendor.find_plotly_bundle(tmp_path / "absent.js") is None
    assert "run scripts/build-plotly" in caplog.text
    assert page_scripts.external_scripts(None) == [page_scripts.RESTORE_NATIVES_JS]


def test_the_bundle_sources_pin_the_plotly_js_that_plotly_py_ships() -> None:
    """Upgrading plotly (Python) without the bundle would silently fall back: fail here."""
    package = json.loads((BUNDLE_SOURCES / "package.json").read_text())
    lock = json.loads((BUNDLE_SOURCES / "package-lock.json").read_text())
    assert package["devDependencies"]["plotly.js"] == vendor.plotlyjs_version()
    assert lock["packages"]["node_modules/plotly.js"]["version"] == vendor.plotlyjs_version()
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]


def test_the_index_saves_the_natives_before_any_script_and_restores_them_first() -> None:
    # The views are called directly: a request through the test client would run Dash's pages
    # router set-up, which trips over the page modules other tests import by their own name.
    with server.test_request_context("/"):
        html = app.index()
    saving = html.index(page_scripts.SAVE_NATIVES_SCRIPT)
    assert saving < html.index("</head>") and saving < html.index("<script src")
    sources = re.findall(r'<script src="([^"]+)"', html)
    polyfill = next(i for i, s in enumerate(sources) if "polyfill" in s)
    restore = sources.index(page_scripts.RESTORE_NATIVES_JS)
    first_component = next(i for i, s in enumerate(sources)
                           if "dash_bootstrap_components" in s or "dash_renderer" in s)
    assert polyfill < restore < first_component
    bundle = server.config[vendor.PLOTLY_CONFIG_KEY]
    if bundle is not None:
        assert sources.index(bundle.url) < first_component
    with server.test_request_context(page_scripts.RESTORE_NATIVES_JS):
        restore_js = page_scripts.static_file("restore-natives.js")
        restore_js.direct_passthrough = False
        assert restore_js.status_code == 200 and b"__foresightNatives" in restore_js.data
    for owner, name in (("String.prototype", "trim"), ("window", "parseInt")):
        entry = f'[{owner},"{name}",{owner}.{name},"{owner}.{name}"]'
        assert entry in page_scripts.SAVE_NATIVES_SCRIPT


def test_the_bundle_is_served_under_its_digest_only(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = vendor.find_plotly_bundle(_bundle_file(tmp_path, vendor.plotlyjs_version()))
    assert bundle is not None
    monkeypatch.setitem(server.config, vendor.PLOTLY_CONFIG_KEY, bundle)
    with server.test_request_context(bundle.url):
        response = vendor.plotly_file(bundle.filename)
        response.direct_passthrough = False
        assert response.status_code == 200
        assert response.data.startswith(b"/*! foresight partial plotly.js")
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.mimetype == "text/javascript"
        with pytest.raises(NotFound):
            vendor.plotly_file("plotly-0.0.1-000000000000.min.js")
        monkeypatch.setitem(server.config, vendor.PLOTLY_CONFIG_KEY, None)
        with pytest.raises(NotFound):
            vendor.plotly_file(bundle.filename)
