"""Reading a user's OHLCV CSV: encoding, banner lines, delimiter, column spellings, dates.

Pure parsing (no database): ``parse_csv(content, filename)`` returns standardized bars (any
order, duplicates kept for the validator to count) and notes on what was detected. Every
failure is a ``CsvImportError`` that names the problem, and the line and column where there
is one. Line numbers count every line of the file, from 1, as an editor shows them.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.data.errors import (
    CsvEncodingError,
    CsvFormatError,
    CsvMissingColumnsError,
    CsvValueError,
)
from ml.data.frame import to_utc_index

logger = logging.getLogger(__name__)

HEADER_SEARCH_LINES = 30
DELIMITERS = (",", ";", "\t", "|")
MISSING_TOKENS = frozenset({"", "nan", "null", "none", "na", "n/a", "-", "#n/a"})

# Normalized spellings (lower case, letters and digits only), most specific first.
TIME_NAMES = ("timestamp", "datetime", "date", "time", "unix", "unixtimestamp", "opentime",
              "ts", "dateutc", "timeutc", "datetimeutc", "gmttime", "localtime", "day")
PRICE_NAMES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o", "openprice", "opening"),
    "high": ("high", "h", "highprice", "max"),
    "low": ("low", "l", "lowprice", "min"),
    "close": ("close", "c", "closeprice", "closelast", "last", "price", "adjclose"),
}
VOLUME_NAMES = ("volume", "vol", "v", "tickvolume", "volumeusd", "volumeusdt", "volumeeur",
                "quotevolume", "basevolume")
# Tried in order on the date column; the first that reads every value wins.
DATE_FORMATS = (
    "%Y-%m-%d %I-%p", "%Y-%m-%d %I %p", "%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I %p", "ISO8601",
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S.%f", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y.%m.%d %H:%M",
    "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y.%m.%d", "%Y%m%d", "%Y%m%d %H:%M:%S",
)


@dataclass
class ParsedCsv:
    bars: pd.DataFrame
    columns: dict[str, str]  # our name -> the file's header
    pair_text: str | None  # a symbol/pair column's first value, for guessing the asset
    notes: list[str] = field(default_factory=list)


def normalize_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def decode(content: bytes) -> str:
    """UTF-8 text (a BOM is allowed); a binary or differently encoded file is refused."""
    if b"\x00" in content[:65536]:
        raise CsvEncodingError("the file is binary (it contains NUL bytes), not a CSV text "
                               "file: export it as CSV (UTF-8) and import that")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise CsvEncodingError(
            f"the file is not UTF-8 text: byte 0x{content[error.start]:02x} on line {line} "
            "cannot be read; save it as CSV UTF-8 and import again") from None


def find_header(lines: list[str]) -> tuple[int, str, list[str]]:
    """Index of the header line, its delimiter and its cells; lines above are banners."""
    best: tuple[int, int, str, list[str]] | None = None
    for number, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for delimiter in DELIMITERS:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            names = {normalize_name(c) for c in cells}
            score = sum(any(n in names for n in spellings) for spellings in PRICE_NAMES.values())
            has_time = any(n in names for n in TIME_NAMES)
            if score >= 3 and has_time and (best is None or score > best[0]):
                best = (score, number, delimiter, cells)
        if best is not None:
            break
    if best is None:
        raise CsvMissingColumnsError(
            f"no header row with a date column and open, high, low, close columns in the "
            f"first {HEADER_SEARCH_LINES} lines: the first line reads {lines[0][:80]!r}"
            if lines else "the file is empty")
    _, number, delimiter, cells = best
    return number, delimiter, cells


def pick_columns(cells: list[str], header_line: int) -> dict[str, str]:
    """Map time/open/high/low/close/volume to the file's headers; refuse when one is missing."""
    by_name: dict[str, str] = {}
    for cell in cells:
        by_name.setdefault(normalize_name(cell), cell)
    chosen: dict[str, str] = {}
    for name in TIME_NAMES:
        if name in by_name:
            chosen["time"] = by_name[name]
            break
    for ours, spellings in PRICE_NAMES.items():
        for spelling in spellings:
            if spelling in by_name:
                chosen[ours] = by_name[spelling]
                break
    volume = next((by_name[s] for s in VOLUME_NAMES if s in by_name), None)
    volume = volume or next((c for n, c in by_name.items() if n.startswith("volume")), None)
    if volume is not None:
        chosen["volume"] = volume
    missing = [c for c in ("time", "open", "high", "low", "close") if c not in chosen]
    if missing:
        wanted = ", ".join("date/time" if m == "time" else m for m in missing)
        raise CsvMissingColumnsError(
            f"missing column(s) {wanted} in the header on line {header_line}: it has "
            f"{', '.join(repr(c) for c in cells)}")
    return chosen


def parse_numbers(values: pd.Series, column: str, lines: np.ndarray) -> np.ndarray:
    """Floats from text cells; empty/NaN-like cells are NaN, other text is an error."""
    try:  # fast path: plain numbers, as most files have
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64,
                                                               na_value=np.nan)
    except (ValueError, TypeError):
        pass
    text = values.astype("string").str.strip()
    cleaned = text.str.replace(r"[$€£\s]", "", regex=True)
    if cleaned.str.contains(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$", regex=True, na=False).any():
        cleaned = cleaned.str.replace(",", "", regex=False)  # thousands separators
    elif cleaned.str.contains(r"^-?\d+,\d+$", regex=True, na=False).any():
        cleaned = cleaned.str.replace(",", ".", regex=False)  # decimal commas
    numbers = pd.to_numeric(cleaned, errors="coerce")
    missing = cleaned.isna() | cleaned.str.lower().isin(MISSING_TOKENS)
    bad = numbers.isna() & ~missing
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        line = int(lines[position])
        raise CsvValueError(
            f"line {line}, column {column!r}: {text.iloc[position]!r} is not a number",
            line=line, column=column)
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def parse_times(values: pd.Series, column: str,
                lines: np.ndarray) -> tuple[pd.DatetimeIndex, str]:
    """UTC instants from a date column; returns the rule used (a format, or epoch units)."""
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        line = int(lines[np.flatnonzero(empty.to_numpy())[0]])
        raise CsvValueError(f"line {line}, column {column!r}: the date is empty", line=line,
                            column=column)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return _epoch_times(numbers, column, lines)
    for date_format in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
        if parsed.notna().all():
            return to_utc_index(pd.DatetimeIndex(parsed)), date_format
    # Report the first value that no format reads, using the format that read the most.
    scores = [(pd.to_datetime(text, format=f, errors="coerce", utc=True).notna().sum(), f)
              for f in DATE_FORMATS]
    _, best = max(scores)
    parsed = pd.to_datetime(text, format=best, errors="coerce", utc=True)
    position = int(np.flatnonzero(parsed.isna().to_numpy())[0])
    line = int(lines[position])
    raise CsvValueError(
        f"line {line}, column {column!r}: cannot read the date {text.iloc[position]!r} "
        f"(other rows look like {best})", line=line, column=column)


def _epoch_times(numbers: pd.Series, column: str,
                 lines: np.ndarray) -> tuple[pd.DatetimeIndex, str]:
    magnitude = numbers.abs().to_numpy()
    for unit, low, high in (("s", 1e8, 1e11), ("ms", 1e11, 1e14)):
        if ((magnitude > low) & (magnitude < high)).all():
            index = pd.to_datetime(numbers.to_numpy(np.int64), unit=unit, utc=True)
            return to_utc_index(index), "epoch " + ("seconds" if unit == "s" else
                                                    "milliseconds")
    # Not all one unit: point at the first value that is not the majority's.
    seconds = (magnitude > 1e8) & (magnitude < 1e11)
    expected = seconds if seconds.mean() >= 0.5 else (magnitude >= 1e11) & (magnitude < 1e14)
    position = int(np.flatnonzero(~expected)[0])
    line = int(lines[position])
    raise CsvValueError(
        f"line {line}, column {column!r}: {numbers.iloc[position]:g} is not a date in the "
        "epoch seconds or milliseconds the other rows use", line=line, column=column)


def parse_csv(content: bytes, filename: str) -> ParsedCsv:
    """Bars from a CSV file's bytes (see module doc)."""
    text = decode(content)
    lines = text.splitlines()
    header_index, delimiter, cells = find_header(lines)
    header_line = header_index + 1
    columns = pick_columns(cells, header_line)
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines[header_index:])), sep=delimiter,
                            dtype=str, keep_default_na=False, skip_blank_lines=True,
                            skipinitialspace=True, engine="c")
    except pd.errors.ParserError as error:
        raise CsvFormatError(f"{filename}: the rows do not fit the header on line "
                             f"{header_line} ({error})") from None
    # Line numbers of the rows read (blank lines are skipped), for error messages.
    row_lines = np.array([n + 1 for n in range(header_index + 1, len(lines))
                          if lines[n].strip()], dtype=np.int64)[: len(frame)]
    filled = (frame != "").any(axis=1).to_numpy()
    frame, row_lines = frame[filled], row_lines[filled]
    if frame.empty:
        raise CsvFormatError(f"{filename}: the header on line {header_line} is followed by no "
                             "rows")
    times, rule = parse_times(frame[columns["time"]], columns["time"], row_lines)
    data = {ours: parse_numbers(frame[theirs], theirs, row_lines)
            for ours, theirs in columns.items() if ours != "time"}
    if "volume" not in data:
        data["volume"] = np.zeros(len(frame))
    bars = pd.DataFrame(data, index=times)[["open", "high", "low", "close", "volume"]]
    notes = _notes(header_index, delimiter, rule, columns)
    pair = _pair_text(frame, cells)
    return ParsedCsv(bars, columns, pair, notes)


def _notes(header_index: int, delimiter: str, rule: str, columns: dict[str, str]) -> list[str]:
    shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
    notes = [f"{shown}-separated; header on line {header_index + 1}"]
    if header_index:
        notes.append(f"skipped {header_index} line(s) above the header")
    notes.append(f"dates read as {rule}" + ("" if rule.startswith("epoch") else
                                             "; times without a zone are taken as UTC"))
    if "volume" in columns:
        notes.append(f"volume from column {columns['volume']!r}")
    else:
        notes.append("no volume column: volume set to 0")
    return notes


def _pair_text(frame: pd.DataFrame, cells: list[str]) -> str | None:
    for cell in cells:
        if normalize_name(cell) in {"symbol", "ticker", "pair", "instrument", "market"}:
            values = frame[cell].astype("string").str.strip()
            values = values[values.notna() & (values != "")]
            return str(values.iloc[0]) if len(values) else None
    return None
