"""Named errors of the data layer; each message is written for a trader, not a programmer.

All subclass ``DataError(ValueError)`` so the CLI, the API and the UI can catch one type and
show its message as it is.
"""

from __future__ import annotations


class DataError(ValueError):
    """Something about market data the user can act on."""


# --- the query -----------------------------------------------------------------------------

class UnknownIntervalError(DataError):
    """The interval is not one of ``INTERVALS``."""


class UnsupportedIntervalError(DataError):
    """The source has no bars that fine (e.g. hourly bars from a daily sample)."""


class InvalidRangeError(DataError):
    """Start after end, or a date that cannot be read."""


class InvalidSymbolError(DataError):
    """The symbol is empty, malformed or names an unknown provider or sample."""


# --- the provider --------------------------------------------------------------------------

class ProviderError(DataError):
    """The provider failed; ``cache_available`` tells whether cached bars could stand in."""


class UnknownSymbolError(ProviderError):
    """The provider does not know the symbol (misspelt or delisted)."""


class NoDataError(ProviderError):
    """The provider knows nothing for this range (an empty frame)."""


class RateLimitedError(ProviderError):
    """The provider refuses requests for a while (HTTP 429)."""


class NetworkError(ProviderError):
    """The provider cannot be reached (no network, DNS, proxy, TLS)."""


class ProviderTimeoutError(NetworkError):
    """The provider did not answer in time."""


# --- CSV import ----------------------------------------------------------------------------

class CsvImportError(DataError):
    """A CSV file cannot be imported; nothing already stored was changed."""


class CsvTooLargeError(CsvImportError):
    """The file is larger than ``CoreSettings.csv_max_bytes``."""


class CsvEncodingError(CsvImportError):
    """The file is binary or not UTF-8 text."""


class CsvFormatError(CsvImportError):
    """No header row, or no rows, or an interval that cannot be told."""


class CsvMissingColumnsError(CsvImportError):
    """Required columns (date, open, high, low, close) are missing."""


class CsvValueError(CsvImportError):
    """A cell cannot be read (text in a number column, a date that is no date)."""

    def __init__(self, message: str, *, line: int, column: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
