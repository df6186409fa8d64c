"""Yahoo Finance through yfinance: stocks, crypto, forex, commodities, indices.

The HTTP session is injectable: production uses a curl_cffi session like yfinance's own, tests
pass a session that replays recorded Yahoo responses, so yfinance's own request and parsing
code runs in both. yfinance failures become our named errors (``ml.data.errors``).
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ml.data.errors import (
    NetworkError,
    NoDataError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    UnknownSymbolError,
)
from ml.data.frame import daily_labels, standardize
from ml.data.intervals import check_interval, is_intraday
from ml.data.providers.base import Fetched, Provider, Query, clip
from ml.data.symbols import YAHOO_INSTRUMENT_TYPES, SymbolInfo, SymbolRef, guess_from_spelling

logger = logging.getLogger(__name__)

# How far back Yahoo keeps bars of each interval (it refuses older requests).
HISTORY_LIMITS: dict[str, pd.Timedelta] = {
    "1m": pd.Timedelta(days=7), "5m": pd.Timedelta(days=60), "15m": pd.Timedelta(days=60),
    "30m": pd.Timedelta(days=60), "1h": pd.Timedelta(days=730),
}
_EARLIEST = pd.Timestamp("1950-01-01", tz="UTC")


@functools.cache
def _process_session() -> Any:
    """The real HTTP session of this process (cookie and crumb survive between fetches)."""
    from yfinance._http import new_session  # yfinance's own factory (pinned 1.7.0)

    return new_session()


class YahooProvider(Provider):
    """Yahoo Finance; ``session`` is any curl_cffi/requests session yfinance accepts (None:
    yfinance's own)."""

    name = "yahoo"
    static = False

    def __init__(self, var_dir: Path, *, timeout_s: float = 10.0, session: Any = None) -> None:
        self.var_dir = Path(var_dir)
        self.timeout_s = timeout_s
        self._session = session

    def source_label(self, ref: SymbolRef) -> str:
        return "Yahoo Finance (yfinance)"

    def native_interval(self, ref: SymbolRef, interval: str) -> str:
        check_interval(interval)
        return "1h" if interval == "4h" else interval

    def history_limit(self, interval: str) -> pd.Timedelta | None:
        return HISTORY_LIMITS.get(interval)

    def describe_symbol(self, ref: SymbolRef) -> SymbolInfo:
        asset_class, currency = guess_from_spelling(ref.key)
        return SymbolInfo(symbol=ref.symbol, provider=self.name, asset_class=asset_class,
                          currency=currency)

    # --- extract ----------------------------------------------------------------------------

    def _prepare_yfinance(self) -> Any:
        import yfinance as yf

        # yfinance keeps its timezone and cookie caches in SQLite files that lock when
        # several processes share them (yfinance#1274, #1646): one folder per process.
        cache_dir = self.var_dir / "yfinance" / f"pid-{os.getpid()}"
        cache_dir.mkdir(parents=True, exist_ok=True)
        yf.set_tz_cache_location(str(cache_dir))
        # Raise instead of logging and returning an empty frame, so failures can be told apart.
        yf.config.debug.hide_exceptions = False
        return yf

    def extract(self, query: Query) -> Any:
        yf = self._prepare_yfinance()
        # yfinance keeps ONE process-wide session in a singleton and swaps it for whatever a
        # caller passes, so always pass ours: a replay session used once must not stay behind.
        ticker = yf.Ticker(query.ref.key, session=self._session or _process_session())
        kwargs: dict[str, Any] = {"interval": query.interval, "auto_adjust": False,
                                  "actions": False, "prepost": False, "repair": False,
                                  "timeout": self.timeout_s}
        if query.start is None and query.end is None:
            kwargs["period"] = "max"
        else:
            kwargs["start"] = self._bound(query.start or _EARLIEST, query.interval)
            if query.end is not None:
                kwargs["end"] = self._bound(query.end, query.interval, is_end=True)
        logger.info("yahoo: fetching %s", query.describe())
        try:
            with warnings.catch_warnings():
                # yfinance 1.7 calls pandas APIs that pandas 3.1 deprecates; not our concern.
                warnings.filterwarnings("ignore", message=".*inplace.*")
                frame = ticker.history(**kwargs)
                metadata = ticker.get_history_metadata()
        except Exception as error:  # noqa: BLE001 - every yfinance failure is translated
            raise translate_error(error, query) from error
        return frame, metadata

    @staticmethod
    def _bound(timestamp: pd.Timestamp, interval: str, *, is_end: bool = False) -> Any:
        # Daily and weekly labels are dates: give yfinance a date so it reads it in the
        # exchange's zone, like the labels it returns. An exclusive end inside a day still
        # wants that day's bar.
        if is_intraday(interval):
            return timestamp.to_pydatetime()
        day = timestamp.tz_convert("UTC")
        if is_end and day != day.normalize():
            day = day.normalize() + pd.Timedelta(days=1)
        return day.date()

    # --- transform --------------------------------------------------------------------------

    def transform(self, raw: Any, query: Query) -> Fetched:
        frame, metadata = raw
        info = self._info_from_metadata(query.ref, metadata)
        notes: list[str] = []
        if frame is None or frame.empty:
            raise NoDataError(f"Yahoo Finance returned no bars for {query.describe()}: the "
                              "symbol may be delisted, or nothing traded in that period")
        bars = standardize(frame)
        if not is_intraday(query.interval):
            bars.index = daily_labels(pd.DatetimeIndex(frame.index))
        if info.metadata_source == "spelling":
            notes.append("Yahoo sent no metadata: asset class and currency are guessed from "
                         "the symbol's spelling")
        return Fetched(clip(bars, query.start, query.end), info, notes)

    def _info_from_metadata(self, ref: SymbolRef, metadata: Any) -> SymbolInfo:
        guess = self.describe_symbol(ref)
        get = metadata.get if metadata is not None else (lambda _key, default=None: default)
        instrument = get("instrumentType")
        currency = get("currency")
        if not instrument and not currency:
            return guess
        asset_class = YAHOO_INSTRUMENT_TYPES.get(str(instrument), guess.asset_class)
        return SymbolInfo(
            symbol=ref.symbol, provider=self.name, asset_class=asset_class,
            currency=str(currency or guess.currency),
            name=get("longName") or get("shortName"),
            exchange_timezone=get("exchangeTimezoneName"), metadata_source="provider")


def translate_error(error: BaseException, query: Query) -> ProviderError:
    """yfinance's and the HTTP layer's exceptions as our named errors."""
    from yfinance import exceptions as yfe

    what = f"{query.ref.symbol} ({query.interval})"
    if isinstance(error, yfe.YFRateLimitError):
        return RateLimitedError(f"Yahoo Finance is rate-limiting requests from this machine "
                                f"(HTTP 429) while fetching {what}: wait a few minutes and "
                                "try again")
    if isinstance(error, yfe.YFTzMissingError):
        return UnknownSymbolError(f"Yahoo Finance does not know {query.ref.symbol!r}: check "
                                  "the spelling (e.g. AAPL, BTC-USD, EURUSD=X, GC=F, ^GSPC); "
                                  "it may also be delisted")
    if isinstance(error, yfe.YFPricesMissingError):
        if error.yahoo_reason:
            return UnknownSymbolError(f"Yahoo Finance has no data for {query.ref.symbol!r}: "
                                      f"{error.yahoo_reason}")
        return NoDataError(f"Yahoo Finance returned no bars for {query.describe()}: the "
                           "symbol may be delisted, or nothing traded in that period")
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status == 404:
        return UnknownSymbolError(f"Yahoo Finance does not know {query.ref.symbol!r} (HTTP "
                                  "404): check the spelling (e.g. AAPL, BTC-USD, EURUSD=X, "
                                  "GC=F, ^GSPC); it may also be delisted")
    if status is not None and status >= 500:
        return ProviderError(f"Yahoo Finance is failing (HTTP {status}) while fetching "
                             f"{what}: try again later")
    if _is_timeout(error):
        return ProviderTimeoutError(f"Yahoo Finance did not answer in time while fetching "
                                    f"{what}: the network or Yahoo is slow; try again")
    if isinstance(error, OSError):
        return NetworkError(f"cannot reach Yahoo Finance while fetching {what}: check the "
                            f"internet connection ({type(error).__name__})")
    if isinstance(error, yfe.YFException):
        return ProviderError(f"Yahoo Finance failed while fetching {what}: {error}")
    return ProviderError(f"Yahoo Finance sent something yfinance could not read while "
                         f"fetching {what} ({type(error).__name__}: {error})")


def _is_timeout(error: BaseException) -> bool:
    if isinstance(error, TimeoutError):
        return True
    return any(cls.__name__ in {"Timeout", "ReadTimeout", "ConnectTimeout"}
               for cls in type(error).__mro__)
