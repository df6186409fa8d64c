"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written out by hand (the routes are few) from the same constants the routes validate with;
``tests/webapp/test_api_fuzz.py`` holds the routes to it with schemathesis.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from webapp import training_options
from webapp.api.market import json_response
from webapp.api.openapi_alerts import alert_paths, alert_schemas
from webapp.api.openapi_parts import (
    END_PARAM,
    INTERVAL_PARAM,
    NUMBER_OR_NULL,
    START_PARAM,
    STRING_OR_NULL,
    SYMBOL_PARAM,
    SYMBOL_SCHEMA,
    json_of,
    limit,
    query,
    ref,
    responses,
)
from webapp.api.params import INTERVALS


def _schemas() -> dict[str, Any]:
    series = {"type": "array", "items": NUMBER_OR_NULL}
    stamps = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["status", "code", "message"], "properties": {
                "status": {"type": "integer"}, "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "array", "items": {
                    "type": "object", "required": ["field", "reason"],
                    "properties": {"field": {"type": "string"},
                                   "reason": {"type": "string"}}}}}}}},
        "SymbolList": {"type": "object", "required": ["symbols", "count"], "properties": {
            "count": {"type": "integer"},
            "symbols": {"type": "array", "items": {
                "type": "object", "required": ["symbol", "asset_class", "currency"],
                "properties": {"symbol": {"type": "string"}, "name": STRING_OR_NULL,
                               "provider": {"type": "string"},
                               "asset_class": {"type": "string"},
                               "currency": {"type": "string"},
                               "cached_intervals": stamps}}}}},
        "History": {"type": "object", "required": ["symbol", "interval", "count", "bars"],
                    "properties": {
                        "symbol": {"type": "string"}, "interval": {"type": "string"},
                        "source": {"type": "string"}, "count": {"type": "integer"},
                        "bars": {"type": "object", "required": [
                            "timestamp", "open", "high", "low", "close", "volume"],
                            "properties": {"timestamp": stamps, "open": series,
                                           "high": series, "low": series, "close": series,
                                           "volume": series}}}},
        "IndicatorSeries": {"type": "object", "required": ["symbol", "timestamp", "series"],
                            "properties": {"symbol": {"type": "string"},
                                           "interval": {"type": "string"},
                                           "count": {"type": "integer"}, "timestamp": stamps,
                                           "series": {"type": "object",
                                                      "additionalProperties": series}}},
        "IndicatorCatalog": {"type": "object", "required": ["indicators"], "properties": {
            "indicators": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                      "properties": {
                                                          "name": {"type": "string"}}}}}},
        "Risk": {"type": "object", "required": ["symbol", "annualized_volatility",
                                                "max_drawdown"],
                 "properties": {"symbol": {"type": "string"},
                                "annualized_volatility": {"type": "number"},
                                "sharpe": NUMBER_OR_NULL,
                                "max_drawdown": {"type": "object"},
                                "tail": {"type": "array"}}},
        "Forecast": {"type": "object", "required": ["status", "symbol", "interval",
                                                    "horizons", "central"],
                     "properties": {
                         "status": {"const": "ready"}, "symbol": {"type": "string"},
                         "interval": {"type": "string"}, "origin": {"type": "string"},
                         "last_close": {"type": "number"},
                         "horizons": {"type": "array", "items": {"type": "integer"}},
                         "central": series, "prices": {"type": ["array", "null"]},
                         "bands": {"type": "object"}, "model_version_id": {"type": "integer"},
                         "data_age_s": NUMBER_OR_NULL,
                         "model": {"type": ["object", "null"]}}},
        "Pending": {"type": "object", "required": ["status", "job_id"], "properties": {
            "status": {"const": "computing"}, "job_id": STRING_OR_NULL,
            "retry_after_s": {"type": "integer"}, "message": {"type": "string"}}},
        "ModelList": {"type": "object", "required": ["models", "count"], "properties": {
            "count": {"type": "integer"},
            "models": {"type": "array", "items": {
                "type": "object", "required": ["id", "symbol", "interval", "version",
                                               "active"],
                "properties": {"id": {"type": "integer"}, "symbol": {"type": "string"},
                               "interval": {"type": "string"}, "version": {"type": "integer"},
                               "kind": {"type": "string"}, "active": {"type": "boolean"},
                               "summary": {}, "metrics": {"type": "object"}}}}}},
        "TrainRequest": {"type": "object", "required": ["symbol"],
                         "additionalProperties": False, "properties": {
                             "symbol": SYMBOL_SCHEMA,
                             "interval": {"type": "string", "enum": list(INTERVALS),
                                          "default": "1d"},
                             "kind": {"type": "string",
                                      "enum": list(training_options.MODEL_KINDS),
                                      "default": "lstm"},
                             "target": {"type": "string", "enum": list(training_options.TARGETS),
                                        "default": "returns"},
                             "hyperparameters": training_options.json_schema()}},
        "JobSubmitted": {"type": "object", "required": ["job_id", "status_url"], "properties": {
            "job_id": {"type": "string"}, "status_url": {"type": "string"},
            "config": {"type": "object"}}},
        "Job": {"type": "object", "required": ["id", "state"], "properties": {
            "id": {"type": "string"}, "task": {"type": "string"}, "state": {"type": "string"},
            "progress": {}, "error": STRING_OR_NULL}},
    }


def _paths() -> dict[str, Any]:
    ok = "200"
    return {
        "/symbols": {"get": {"summary": "Symbols with cached data", "operationId": "symbols",
                             "responses": responses({ok: json_of(ref("SymbolList"), "Symbols")})}},
        "/history/{symbol}": {"get": {
            "summary": "OHLCV bars (columnar)", "operationId": "history",
            "parameters": [SYMBOL_PARAM, INTERVAL_PARAM, START_PARAM, END_PARAM, limit(5000)],
            "responses": responses({ok: json_of(ref("History"), "Bars")}, 404, 503)}},
        "/indicators": {"get": {
            "summary": "Every indicator with its parameters", "operationId": "indicatorList",
            "responses": responses({ok: json_of(ref("IndicatorCatalog"), "Catalog")})}},
        "/indicators/{symbol}": {"get": {
            "summary": "Indicator series", "operationId": "indicators",
            "parameters": [SYMBOL_PARAM, INTERVAL_PARAM, query(
                "names", {"type": "string", "minLength": 1, "maxLength": 200},
                "Comma-separated names, parameters after colons: rsi,macd:fast=8:slow=21",
                required=True), START_PARAM, END_PARAM, limit(1000)],
            "responses": responses({ok: json_of(ref("IndicatorSeries"), "Series")}, 404, 503)}},
        "/risk/{symbol}": {"get": {
            "summary": "Risk report (volatility, drawdown, VaR/CVaR, ratios)",
            "operationId": "risk", "parameters": [SYMBOL_PARAM, INTERVAL_PARAM, START_PARAM,
                                                  END_PARAM],
            "responses": responses({ok: json_of(ref("Risk"), "Risk report")}, 404, 503)}},
        "/predict/{symbol}": {"get": {
            "summary": "The stored forecast: price path, bands, model version, data age, skill",
            "operationId": "predict",
            "parameters": [SYMBOL_PARAM, INTERVAL_PARAM, query(
                "horizon", {"type": "integer", "minimum": 1, "maximum": 365},
                "Keep the first N steps")],
            "responses": responses({ok: json_of(ref("Forecast"), "Forecast"),
                                     "202": json_of(ref("Pending"), "Being computed")},
                                    404, 503)}},
        "/models": {"get": {
            "summary": "Registry versions", "operationId": "models",
            "parameters": [query("symbol", SYMBOL_SCHEMA, "Only this symbol"),
                           query("interval", {"type": "string", "enum": list(INTERVALS)},
                                  "Only this interval"),
                           query("metrics", {"type": "string", "enum": ["true", "false"]},
                                  "Include every metric")],
            "responses": responses({ok: json_of(ref("ModelList"), "Versions")})}},
        "/jobs/train": {"post": {
            "summary": "Queue a training (admin)", "operationId": "train",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": ref("TrainRequest")}}},
            "responses": responses({"202": json_of(ref("JobSubmitted"), "Queued")}, 403,
                                    404, 503)}},
        "/jobs/{job_id}": {"get": {
            "summary": "A job's state, progress and outcome (admin)", "operationId": "job",
            "parameters": [{"name": "job_id", "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 64}}],
            "responses": responses({ok: json_of(ref("Job"), "Job")}, 403, 404)}},
        "/stream": {"get": {
            "summary": "Server-sent events: bar, forecast and the caller's alert events",
            "operationId": "stream",
            "parameters": [query("events", {"type": "string"}, "Subset of bars,forecasts,"
                                  "alerts"),
                           query("symbols", {"type": "string"}, "Only these symbols"),
                           query("max_s", {"type": "integer", "minimum": 1,
                                            "maximum": 3600}, "Close after this long")],
            "responses": responses({ok: {"description": "An event stream",
                                          "content": {"text/event-stream": {
                                              "schema": {"type": "string"}}}}}, 503)}},
    }


def build() -> dict[str, Any]:
    paths = _paths()
    paths.update(alert_paths())
    schemas = _schemas()
    schemas.update(alert_schemas())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Foresight API", "version": "1.0.0",
                 "description": "Market data, indicators, risk and stored forecasts. Send an "
                                "API token as 'Authorization: Bearer <token>'."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                       "schemas": schemas},
    }


def document() -> Response:
    response = json_response(build())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
