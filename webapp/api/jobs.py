"""Admin job routes: ``POST /jobs/train`` and ``GET /jobs/{id}``.

Both check the admin role on the server before reading anything from the request.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response

from ml.data import INTERVALS
from ml.json_values import json_safe
from webapp import training_options
from webapp.api import params
from webapp.api.caller import require_admin
from webapp.api.errors import ApiError, invalid
from webapp.api.market import existing_symbol, json_response

logger = logging.getLogger(__name__)

JOB_ID_MAX = 64


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/jobs/train", "train", train, methods=["POST"])
    blueprint.add_url_rule("/jobs/<job_id>", "job", job, methods=["GET"])


def train() -> Response:
    from webapp import jobs

    user = require_admin()
    body = params.json_body()
    unknown = sorted(set(body) - {"symbol", "interval", "kind", "target", "hyperparameters"})
    if unknown:
        raise invalid(unknown[0], "unknown field; allowed: symbol, interval, kind, target, "
                      "hyperparameters")
    if not isinstance(body.get("symbol"), str):
        raise invalid("symbol", "required: a symbol such as AAPL or sample:SPX")
    symbol = existing_symbol(body["symbol"])
    try:
        interval = training_options.check_choice("interval", body.get("interval", "1d"),
                                                 INTERVALS)
        config = training_options.training_config(body.get("kind", "lstm"),
                                                  body.get("target", "returns"),
                                                  body.get("hyperparameters"))
    except training_options.FieldError as error:
        raise invalid(error.field, error.reason) from None
    try:
        job_id = jobs.submit("train_model", {"symbol": symbol, "interval": interval,
                                             "config": config}, requested_by=user.username)
    except jobs.JobsUnavailable as error:
        raise ApiError(503, str(error), headers={"Retry-After": "30"}) from None
    except ValueError as error:  # the job layer's own argument check
        raise invalid("body", str(error)) from None
    response = json_response({"job_id": job_id, "status_url": f"/api/v1/jobs/{job_id}",
                              "symbol": symbol, "interval": interval, "config": config},
                             status=202)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return response


def job(job_id: str) -> Response:
    from webapp import jobs

    require_admin()
    params.allowed_query([])
    if len(job_id) > JOB_ID_MAX:
        raise ApiError(404, "no such job")
    status: dict[str, Any] = jobs.job_status(job_id)
    if status.get("state") == "UNKNOWN":
        raise ApiError(404, f"no job with id {job_id!r}")
    return json_response(json_safe(status))
