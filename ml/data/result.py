"""What a load returns: the bars, where they come from and how old they are, and the report."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ml.data.validation import ValidationReport

logger = logging.getLogger(__name__)


@dataclass
class BarsMeta:
    """Metadata of a load; ``notes`` are sentences for the user (clipping, stale cache ...)."""

    symbol: str
    interval: str
    asset_class: str
    currency: str
    source: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    cache_age_s: float | None
    notes: list[str] = field(default_factory=list)
    name: str | None = None
    rows: int = 0
    partial_last_bar: bool = False

    def to_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["first"] = self.first.isoformat() if self.first is not None else None
        payload["last"] = self.last.isoformat() if self.last is not None else None
        return payload


@dataclass
class BarsResult:
    """``bars``: UTC index named ``timestamp``, float64 OHLCV, ascending and unique."""

    bars: pd.DataFrame
    meta: BarsMeta
    report: ValidationReport

    def to_dict(self) -> dict[str, Any]:
        """The one JSON object the CLI prints (bars themselves are left out)."""
        payload = self.meta.to_dict()
        payload["report"] = self.report.to_dict()
        return payload


def age_seconds(fetched_at: dt.datetime | None, now: dt.datetime) -> float | None:
    if fetched_at is None:
        return None
    return max(0.0, round((now - fetched_at).total_seconds(), 3))
