"""A gunicorn app whose script fails: what tests/browser/test_server_errors.py opens to check
that a 5xx seen by a page comes with the server's own account of it."""

from __future__ import annotations

from flask import Flask

server = Flask(__name__)


@server.get("/")
def page() -> str:
    return '<html><body><p>page</p><script src="/broken.js"></script></body></html>'


@server.get("/broken.js")
def broken_script() -> str:
    raise RuntimeError("the script's handler failed on purpose")
