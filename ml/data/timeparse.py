"""Start and end of a request as UTC instants (start inclusive, end exclusive inside)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TypeAlias

import pandas as pd

from ml.data.errors import InvalidRangeError

logger = logging.getLogger(__name__)

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

When: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp | None


def parse_when(value: When, *, name: str) -> tuple[pd.Timestamp | None, bool]:
    """A UTC timestamp and whether the value was a bare date; naive means UTC."""
    if value is None:
        return None, False
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str):
        text = value.strip()
        date_only = bool(_DATE_ONLY.match(text))
        try:
            stamp = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise InvalidRangeError(f"cannot read {name} {value!r}: use a date like 2024-01-31 "
                                    "or an ISO time like 2024-01-31T14:00Z") from None
    else:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise InvalidRangeError(f"cannot read {name} {value!r}") from None
    if stamp is pd.NaT:
        raise InvalidRangeError(f"{name} {value!r} is not a date")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.as_unit("ns"), date_only


def parse_range(start: When, end: When) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``[start, end)`` in UTC. ``end`` is inclusive as given: a date includes its whole day."""
    start_ts, _ = parse_when(start, name="start")
    end_ts, end_is_date = parse_when(end, name="end")
    if start_ts is not None and end_ts is not None and start_ts > end_ts:
        raise InvalidRangeError(f"start {start_ts:%Y-%m-%d %H:%M} is after end "
                                f"{end_ts:%Y-%m-%d %H:%M}: swap them or fix one")
    if end_ts is not None:
        end_ts = end_ts + (pd.Timedelta(days=1) if end_is_date else pd.Timedelta(seconds=1))
    return start_ts, end_ts
