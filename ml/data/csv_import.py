"""Importing a CSV file as ``csv:NAME``: parse, check, validate, then store in one transaction.

Every check runs before the database is touched, and the store is one transaction that
replaces the file's previous bars, so a failed import changes nothing already cached.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ml.data import cache
from ml.data.calendars import calendar_for
from ml.data.csv_parse import parse_csv
from ml.data.errors import CsvFormatError, CsvTooLargeError, InvalidSymbolError
from ml.data.intervals import (
    INTERVALS,
    check_interval,
    check_resample,
    interval_seconds,
    resample_bars,
)
from ml.data.result import BarsResult
from ml.data.service import MarketData
from ml.data.symbols import (
    ASSET_CLASSES,
    SymbolInfo,
    guess_from_pair_text,
    guess_from_spelling,
    parse_symbol,
)
from ml.data.validation import validate
from ml.db import write_transaction
from ml.db.schema import csv_imports

logger = logging.getLogger(__name__)


def import_csv_file(path: Path | str, name: str, *, market: MarketData,
                    interval: str | None = None, asset_class: str | None = None,
                    currency: str | None = None) -> BarsResult:
    """Import the file at ``path`` as ``csv:NAME`` (see ``import_csv_bytes``)."""
    path = Path(path)
    limit = market.settings.csv_max_bytes
    size = path.stat().st_size
    if size > limit:
        raise CsvTooLargeError(f"{path.name} is {size / 1e6:.1f} MB, over the import limit of "
                               f"{limit / 1e6:.1f} MB (FORESIGHT_CSV_MAX_BYTES)")
    return import_csv_bytes(path.read_bytes(), path.name, name, market=market,
                            interval=interval, asset_class=asset_class, currency=currency)


def import_csv_bytes(content: bytes, filename: str, name: str, *, market: MarketData,
                     interval: str | None = None, asset_class: str | None = None,
                     currency: str | None = None) -> BarsResult:
    """Parse, validate and store a CSV file's bars; returns them as a load would."""
    ref = parse_symbol(name if name.startswith("csv:") else f"csv:{name}")
    limit = market.settings.csv_max_bytes
    if len(content) > limit:
        raise CsvTooLargeError(f"{filename} is {len(content) / 1e6:.1f} MB, over the import "
                               f"limit of {limit / 1e6:.1f} MB (FORESIGHT_CSV_MAX_BYTES)")
    if interval is not None:
        check_interval(interval)
    parsed = parse_csv(content, filename)
    info = _symbol_info(ref.symbol, ref.key, parsed.pair_text, asset_class, currency)
    detected = detect_interval(parsed.bars.index)
    target = interval or detected
    notes = list(parsed.notes)
    calendar = calendar_for(info.asset_class, info.exchange_timezone, info.currency)
    clean, report = validate(parsed.bars, detected, calendar)
    if target != detected:
        check_resample(detected, target, what=f"{filename}")
        clean = resample_bars(clean, detected, target)
        notes.append(f"{detected} rows aggregated to {target} bars")
    report.notes.extend(notes)
    now = market.now().to_pydatetime()
    with write_transaction(market.engine) as connection:
        cache.delete_bars(connection, ref.symbol)
        cache.delete_state(connection, ref.symbol)
        cache.upsert_bars(connection, ref.symbol, target, clean)
        connection.execute(csv_imports.delete().where(csv_imports.c.name == ref.key))
        connection.execute(csv_imports.insert().values(
            name=ref.key, original_filename=filename[:255], interval=target, rows=len(clean),
            first_ts=cache.to_epoch(clean.index[0], 0), last_ts=cache.to_epoch(
                clean.index[-1], 0), imported_at=now, report_json=json.dumps(report.to_dict())))
        cache.save_symbol(connection, info, now)
    logger.info("imported %s as %s: %d %s bars", filename, ref.symbol, len(clean), target)
    result = market.load(ref.symbol, target, refresh=False)
    result.meta.notes.extend(n for n in notes if n not in result.meta.notes)
    return result


def detect_interval(index: pd.DatetimeIndex) -> str:
    """The interval whose length is the most common spacing of the rows."""
    stamps = np.unique(index.as_unit("s").asi8)
    if stamps.size < 2:
        raise CsvFormatError("the file has fewer than two dated rows: cannot tell its interval; "
                             "import more rows")
    steps = np.diff(stamps)
    values, counts = np.unique(steps, return_counts=True)
    common = int(values[np.argmax(counts)])
    for interval in INTERVALS:
        if interval_seconds(interval) == common:
            return interval
    raise CsvFormatError(f"rows are mostly {common} s apart, which is none of the intervals "
                         f"{', '.join(INTERVALS)}: the file cannot be imported as it is")


def _symbol_info(symbol: str, key: str, pair_text: str | None, asset_class: str | None,
                 currency: str | None) -> SymbolInfo:
    if asset_class is not None and asset_class not in ASSET_CLASSES:
        raise InvalidSymbolError(f"unknown asset class {asset_class!r}: use one of "
                                 f"{', '.join(ASSET_CLASSES)}")
    guess = guess_from_pair_text(pair_text or "") or guess_from_pair_text(key)
    source = "file" if guess else "spelling"
    if guess is None:
        guess = guess_from_spelling(key.replace("_", "-")) if "-" in key or "_" in key \
            else ("stock", "USD")
    if asset_class or currency:
        source = "user"
    return SymbolInfo(symbol=symbol, provider="csv", asset_class=asset_class or guess[0],
                      currency=(currency or guess[1]).upper()[:8], name=pair_text,
                      metadata_source=source)
