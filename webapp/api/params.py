"""Reading and checking query parameters: every bad value becomes a 422 naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from flask import request

from ml.data import INTERVALS
from webapp.api.errors import invalid

MAX_LIMIT = 100_000


def allowed_query(names: Sequence[str]) -> None:
    """Unknown query parameters are refused, so a typo is not silently ignored."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        raise invalid(unknown[0], f"unknown query parameter; allowed: {', '.join(names)}")
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise invalid(name, "given more than once")


def interval(default: str = "1d") -> str:
    value = request.args.get("interval", default)
    if value not in INTERVALS:
        raise invalid("interval", f"must be one of {', '.join(INTERVALS)}; got {value!r}")
    return value


def integer(name: str, default: int | None, low: int, high: int) -> int | None:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid(name, f"must be an integer; got {text[:40]!r}") from None
    if not low <= value <= high:
        raise invalid(name, f"must be between {low} and {high}; got {value}")
    return value


def timestamp(name: str) -> pd.Timestamp | None:
    """An ISO 8601 date or datetime, read as UTC when it has no zone."""
    text = request.args.get(name)
    if text is None:
        return None
    if not text or len(text) > 40:
        raise invalid(name, "must be an ISO 8601 date or datetime")
    try:
        value = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise invalid(name, f"must be an ISO 8601 date or datetime; got {text!r}") from None
    if value is pd.NaT or pd.isna(value):
        raise invalid(name, f"must be an ISO 8601 date or datetime; got {text!r}")
    value = value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")
    if not pd.Timestamp("1900-01-01", tz="UTC") <= value <= pd.Timestamp("2200-01-01",
                                                                          tz="UTC"):
        raise invalid(name, f"must be between 1900 and 2200; got {text!r}")
    return value


def date_range() -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    start, end = timestamp("start"), timestamp("end")
    if start is not None and end is not None and start > end:
        raise invalid("start", "must not be after end")
    return start, end


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object (Content-Type: application/json)")
    return body
