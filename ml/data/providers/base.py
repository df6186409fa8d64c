"""The provider interface: validate the query, extract raw data, transform it to one schema.

Modelled on OpenBB's ``Fetcher``: each step is a method, so a provider is read top to bottom
and an empty result always becomes a named error (``NoDataError``), never an empty frame.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ml.data.errors import NoDataError
from ml.data.symbols import SymbolInfo, SymbolRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Query:
    """Bars of ``interval`` (one the provider serves natively) with start <= label < end."""

    ref: SymbolRef
    interval: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def describe(self) -> str:
        start = f"{self.start:%Y-%m-%d %H:%M}" if self.start is not None else "the first bar"
        end = f"{self.end:%Y-%m-%d %H:%M} UTC" if self.end is not None else "now"
        return f"{self.ref.symbol} {self.interval} bars from {start} to {end}"


@dataclass
class Fetched:
    """Standardized bars (not yet validated) and what the provider told about the symbol."""

    bars: pd.DataFrame
    info: SymbolInfo
    notes: list[str] = field(default_factory=list)


class Provider(ABC):
    """A source of bars. ``static`` sources never change, so their bars are all final."""

    name: str = ""
    static: bool = False
    fetchable: bool = True

    def source_label(self, ref: SymbolRef) -> str:
        """Where the bars come from, in words."""
        return self.name

    @abstractmethod
    def native_interval(self, ref: SymbolRef, interval: str) -> str:
        """The interval to fetch and cache for ``interval`` (which may be resampled from it)."""

    def standing_notes(self, ref: SymbolRef) -> list[str]:
        """Notes that hold for every load of the symbol (e.g. how its times were read)."""
        return []

    def history_limit(self, interval: str) -> pd.Timedelta | None:
        """How far back the provider keeps bars of ``interval``; None for all."""
        return None

    @abstractmethod
    def describe_symbol(self, ref: SymbolRef) -> SymbolInfo:
        """What is known about the symbol without asking the provider."""

    def fetch(self, query: Query) -> Fetched:
        """Validate, extract, transform; raises ``NoDataError`` rather than return nothing."""
        self.validate(query)
        raw = self.extract(query)
        fetched = self.transform(raw, query)
        if fetched.bars.empty:
            raise NoDataError(f"{self.name} has no bars for {query.describe()}")
        return fetched

    def validate(self, query: Query) -> None:
        """Reject a query the provider cannot answer (before any I/O)."""
        self.native_interval(query.ref, query.interval)

    @abstractmethod
    def extract(self, query: Query) -> Any:
        """Get the raw data (network, package files)."""

    @abstractmethod
    def transform(self, raw: Any, query: Query) -> Fetched:
        """Turn raw data into standardized bars for the query's range."""


def clip(bars: pd.DataFrame, start: pd.Timestamp | None,
         end: pd.Timestamp | None) -> pd.DataFrame:
    """Rows with start <= label < end."""
    if start is not None:
        bars = bars[bars.index >= start]
    if end is not None:
        bars = bars[bars.index < end]
    return bars
