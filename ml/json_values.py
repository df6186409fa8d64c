"""The one way to turn a report, a payload or a job result into strict JSON values.

Reports mix Python floats, numpy scalars and arrays, NaN for "not enough data" and timestamps;
``json.dumps(allow_nan=False)``, Flask and Celery each need plain values with ``null`` for the
gaps. Anything else is left as it is, so a type nobody expected still fails loudly downstream.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any


def json_safe(value: Any) -> Any:
    """NaN and infinities become None; numpy values become Python ones; datetimes become ISO
    8601 (naive ones are UTC, as everything stored here is); dict keys become strings."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime):
        if value != value:  # pandas' NaT
            return None
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return json_safe(value.tolist())  # numpy arrays and scalars (a scalar's is a number)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
