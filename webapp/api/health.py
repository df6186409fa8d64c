"""``GET /healthz``: JSON health, 503 when a required part is down; ``GET /livez``: the web
process answers, nothing else probed.

``?roundtrip=1`` also sends a task through the broker and waits for a worker's answer. ``/livez``
exists because ``/healthz`` waits for the workers' ping (``HEALTH_TIMEOUT_S``): "can a page be
opened" must not wait on "are workers up" (ops/launcher.py prints the URL on the first).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from webapp.health import system_health

health_blueprint = Blueprint("health", __name__)


@health_blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    roundtrip = request.args.get("roundtrip", "0").lower() in {"1", "true", "yes"}
    document, healthy = system_health(current_app.config.get("HEALTH_TIMEOUT_S", 1.0),
                                      roundtrip=roundtrip)
    return jsonify(document), 200 if healthy else 503


@health_blueprint.get("/livez")
def livez() -> ResponseReturnValue:
    return jsonify({"status": "ok"})
