"""The alert routes' part of the OpenAPI document (``webapp.api.alerts``)."""

from __future__ import annotations

from typing import Any

from ml.alerts import CHANNELS, RULE_TYPES
from webapp.api import params
from webapp.api.alerts import MAX_ID
from webapp.api.openapi_parts import (
    SYMBOL_SCHEMA,
    error_of,
    json_of,
    query,
    ref,
    responses,
)


def alert_schemas() -> dict[str, Any]:
    intervals = list(params.INTERVALS)
    return {
        "AlertInput": {"type": "object", "required": ["symbol", "interval", "rule_type",
                                                      "params", "channels"],
                       "additionalProperties": False, "properties": {
                           "name": {"type": "string", "maxLength": 120},
                           "symbol": SYMBOL_SCHEMA,
                           "interval": {"type": "string", "enum": intervals},
                           "rule_type": {"type": "string", "enum": list(RULE_TYPES)},
                           "params": {"type": "object"},
                           "channels": {"type": "array", "minItems": 1,
                                        "items": {"type": "string", "enum": list(CHANNELS)}},
                           "cooldown_s": {"type": "integer", "minimum": 0},
                           "one_shot": {"type": "boolean"}, "active": {"type": "boolean"},
                           "expires_at": {"type": ["string", "null"],
                                          "format": "date-time"}}},
        "Alert": {"type": "object", "required": ["id", "symbol", "interval", "rule_type",
                                                 "params", "channels", "active"],
                  "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                 "symbol": {"type": "string"}, "interval": {"type": "string"},
                                 "rule_type": {"type": "string"}, "params": {"type": "object"},
                                 "channels": {"type": "array", "items": {"type": "string"}},
                                 "active": {"type": "boolean"}}},
        "AlertList": {"type": "object", "required": ["alerts", "count"], "properties": {
            "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
            "count": {"type": "integer"}}},
        "AlertEvents": {"type": "object", "required": ["events", "count"], "properties": {
            "events": {"type": "array", "items": {"type": "object", "required": [
                "id", "rule_id", "symbol"]}}, "count": {"type": "integer"}}},
    }


def alert_paths() -> dict[str, Any]:
    rule_id = {"name": "rule_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
    body = {"required": True, "content": {"application/json": {"schema": ref("AlertInput")}}}
    not_found = {"404": error_of("No such rule of yours")}
    return {
        "/alerts": {
            "get": {"summary": "Your alert rules", "operationId": "alerts",
                    "responses": responses({"200": json_of(ref("AlertList"), "Rules")})},
            "post": {"summary": "Create an alert rule", "operationId": "alertCreate",
                     "requestBody": body,
                     "responses": responses({"201": json_of(ref("Alert"), "Created")})}},
        "/alerts/events": {"get": {
            "summary": "Your alert events, newest first", "operationId": "alertEvents",
            "parameters": [query("limit", {"type": "integer", "minimum": 1, "maximum": 500},
                                  "At most this many"),
                           query("after_id", {"type": "integer", "minimum": 0,
                                               "maximum": MAX_ID}, "Only newer events")],
            "responses": responses({"200": json_of(ref("AlertEvents"), "Events")})}},
        "/alerts/{rule_id}": {
            "get": {"summary": "One of your rules", "operationId": "alert",
                    "parameters": [rule_id],
                    "responses": responses({"200": json_of(ref("Alert"), "Rule"),
                                             **not_found})},
            "put": {"summary": "Replace one of your rules", "operationId": "alertUpdate",
                    "parameters": [rule_id], "requestBody": body,
                    "responses": responses({"200": json_of(ref("Alert"), "Rule"),
                                             **not_found})},
            "delete": {"summary": "Delete one of your rules", "operationId": "alertDelete",
                       "parameters": [rule_id],
                       "responses": responses({"204": {"description": "Deleted"},
                                                **not_found})}},
    }
