"""The pieces every part of the OpenAPI document is written with: references, JSON bodies,
error answers, query parameters and the shared symbol, interval and range parameters.

Public so that each route module's part of the document (``openapi``, ``openapi_alerts``) uses
the same ones without importing the other.
"""

from __future__ import annotations

from typing import Any

from webapp.api.params import INTERVALS, MAX_LIMIT

NUMBER_OR_NULL = {"type": ["number", "null"]}
STRING_OR_NULL = {"type": ["string", "null"]}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_of(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_of(description: str) -> dict[str, Any]:
    return json_of(ref("Error"), description)


def responses(ok: dict[str, dict[str, Any]], *extra: int) -> dict[str, Any]:
    answers: dict[str, Any] = dict(ok)
    texts = {401: "No or a bad API token", 403: "Needs an admin account",
             404: "Unknown symbol, model or job", 422: "A parameter is invalid (see fields)",
             429: "Rate limited (see Retry-After)", 503: "A backing service is unavailable"}
    for status in (401, 422, 429, *extra):
        answers[str(status)] = error_of(texts[status])
    return answers


def query(name: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


# What ml.data.symbols.parse_symbol accepts: a Yahoo ticker, sample:NAME or csv:NAME.
SYMBOL_PATTERN = (r"^([A-Za-z0-9^][A-Za-z0-9.=^&-]{0,31}|sample:[A-Za-z]{1,16}"
                  r"|csv:[A-Za-z0-9][A-Za-z0-9_.-]{0,47})$")
SYMBOL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": SYMBOL_PATTERN}
SYMBOL_PARAM = {"name": "symbol", "in": "path", "required": True, "schema": SYMBOL_SCHEMA,
                "description": "Yahoo spelling (AAPL, BTC-USD, EURUSD=X, ^GSPC) or "
                               "sample:NAME / csv:NAME"}
INTERVAL_PARAM = query("interval", {"type": "string", "enum": list(INTERVALS),
                                     "default": "1d"}, "Bar interval")
START_PARAM = query("start", {"type": "string", "format": "date-time", "maxLength": 40},
                     "First bar (ISO 8601 date or datetime, UTC when no zone)")
END_PARAM = query("end", {"type": "string", "format": "date-time", "maxLength": 40},
                   "Last bar (inclusive)")


def limit(default: int) -> dict[str, Any]:
    return query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": default}, "At most this many of the newest bars")
