"""``csv:NAME``: a CSV file a user imported, served from the database (never fetched again).

The import itself (parsing, checks, the one transaction) is in ``ml.data.csv_import``; this
provider only tells the service which interval the file has and what it is.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from ml.data.errors import UnknownSymbolError
from ml.data.intervals import check_resample
from ml.data.providers.base import Fetched, Provider, Query
from ml.data.symbols import SymbolInfo, SymbolRef
from ml.data.validation import ValidationReport
from ml.db.schema import csv_imports

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CsvImportRecord:
    name: str
    original_filename: str
    interval: str
    rows: int
    imported_at: dt.datetime
    report: ValidationReport


def get_import(engine: Engine, name: str) -> CsvImportRecord | None:
    with engine.connect() as connection:
        row = connection.execute(select(csv_imports).where(csv_imports.c.name == name)
                                 ).mappings().first()
    if row is None:
        return None
    imported_at = row["imported_at"]
    if imported_at.tzinfo is None:
        imported_at = imported_at.replace(tzinfo=dt.UTC)
    return CsvImportRecord(row["name"], row["original_filename"], row["interval"],
                           row["rows"], imported_at,
                           ValidationReport.from_dict(json.loads(row["report_json"])))


class CsvProvider(Provider):
    """Imported files; static (an import replaces the whole file's bars at once)."""

    name = "csv"
    static = True
    fetchable = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, ref: SymbolRef) -> CsvImportRecord:
        record = get_import(self.engine, ref.key)
        if record is None:
            raise UnknownSymbolError(
                f"no imported file is called {ref.key!r}: import one with "
                f"'python -m ml import-csv PATH --symbol {ref.key}'")
        return record

    def native_interval(self, ref: SymbolRef, interval: str) -> str:
        record = self.record(ref)
        check_resample(record.interval, interval, what=f"{ref.symbol} (imported file)")
        return record.interval

    def source_label(self, ref: SymbolRef) -> str:
        return f"CSV import of {self.record(ref).original_filename}"

    def describe_symbol(self, ref: SymbolRef) -> SymbolInfo:
        return SymbolInfo(symbol=ref.symbol, provider=self.name, asset_class="stock",
                          currency="USD")

    def extract(self, query: Query) -> Any:
        raise NotImplementedError("imported files are read from the database, not fetched")

    def transform(self, raw: Any, query: Query) -> Fetched:
        raise NotImplementedError("imported files are read from the database, not fetched")
