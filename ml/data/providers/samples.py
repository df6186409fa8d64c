"""Real market data that ships inside installed packages, so everything works offline.

``sample:SPX`` is the S&P 500 daily (``arch.data.sp500``, 1999-2018), ``sample:GOOG`` Google
daily (``backtesting.test.GOOG``, 2004-2013), ``sample:EURUSD`` EUR/USD hourly
(``backtesting.test.EURUSD``, 2017-2018). EURUSD's timestamps come without a time zone; their
weekly pattern (last bar Friday 20:00, first Sunday 21:00) fits UTC, so they are taken as UTC.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ml.data.errors import InvalidSymbolError
from ml.data.frame import daily_labels, standardize
from ml.data.intervals import check_resample
from ml.data.providers.base import Fetched, Provider, Query, clip
from ml.data.symbols import SymbolInfo, SymbolRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    key: str
    interval: str
    asset_class: str
    currency: str
    name: str
    source: str
    exchange_timezone: str
    note: str | None = None


SAMPLES: dict[str, Sample] = {
    "SPX": Sample("SPX", "1d", "index", "USD", "S&P 500 (daily, 1999-2018)",
                  "arch.data.sp500", "America/New_York"),
    "GOOG": Sample("GOOG", "1d", "stock", "USD", "Google (daily, 2004-2013)",
                   "backtesting.test.GOOG", "America/New_York"),
    "EURUSD": Sample("EURUSD", "1h", "forex", "USD", "EUR/USD (hourly, 2017-2018)",
                     "backtesting.test.EURUSD", "UTC",
                     note="sample:EURUSD timestamps carry no time zone in the package; "
                          "they are taken as UTC"),
}


def package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InvalidSymbolError(f"the package {package!r} that ships this sample is not "
                                 "installed")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


class SampleProvider(Provider):
    """Bundled real samples; static, so every bar is final."""

    name = "sample"
    static = True

    def _sample(self, ref: SymbolRef) -> Sample:
        try:
            return SAMPLES[ref.key]
        except KeyError:
            raise InvalidSymbolError(
                f"unknown sample {ref.symbol!r}: the samples are "
                f"{', '.join('sample:' + k for k in SAMPLES)}") from None

    def native_interval(self, ref: SymbolRef, interval: str) -> str:
        sample = self._sample(ref)
        check_resample(sample.interval, interval, what=ref.symbol)
        return sample.interval

    def standing_notes(self, ref: SymbolRef) -> list[str]:
        note = self._sample(ref).note
        return [note] if note else []

    def source_label(self, ref: SymbolRef) -> str:
        return f"{self._sample(ref).source} (real data bundled with the package)"

    def describe_symbol(self, ref: SymbolRef) -> SymbolInfo:
        sample = self._sample(ref)
        return SymbolInfo(symbol=ref.symbol, provider=self.name,
                          asset_class=sample.asset_class, currency=sample.currency,
                          name=sample.name, exchange_timezone=sample.exchange_timezone,
                          metadata_source="provider")

    def extract(self, query: Query) -> Any:
        # Read the files the packages ship the way their own loaders do, without importing
        # the packages (backtesting pulls in bokeh: seconds, for a CSV file).
        key = self._sample(query.ref).key
        if key == "SPX":
            frame = pd.read_csv(package_file("arch", "data", "sp500", "sp500.csv.gz"))
            frame["Date"] = pd.to_datetime(frame["Date"])
            return frame.set_index("Date")
        return pd.read_csv(package_file("backtesting", "test", f"{key}.csv"), index_col=0,
                           parse_dates=True)

    def transform(self, raw: Any, query: Query) -> Fetched:
        sample = self._sample(query.ref)
        frame = raw.drop(columns=["Adj Close"], errors="ignore")
        bars = standardize(frame)
        if sample.interval == "1d":
            bars.index = daily_labels(pd.DatetimeIndex(frame.index))
        return Fetched(clip(bars, query.start, query.end), self.describe_symbol(query.ref))
