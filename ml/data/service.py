"""Loading bars: refresh the cache from the provider when needed, read, resample, validate.

The cache holds each symbol at its provider's native interval (4h is resampled from 1h on
read). A refresh asks the provider only for what is missing: bars after the last complete
cached bar, and bars before the cached range when an earlier start is asked for. Bars still
forming (label + interval after now) are never cached; they are returned only when
``include_partial`` is asked for. When the provider fails and the cache has bars for the
range, those are served with their age and a note instead of an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from ml.data import cache
from ml.data.age import human_age
from ml.data.calendars import calendar_for
from ml.data.errors import NoDataError, ProviderError
from ml.data.intervals import (
    check_interval,
    floor_to_interval,
    interval_timedelta,
    resample_bars,
)
from ml.data.providers.base import Provider, Query
from ml.data.providers.csv_store import CsvProvider
from ml.data.providers.samples import SampleProvider
from ml.data.providers.yahoo import YahooProvider
from ml.data.result import BarsMeta, BarsResult, age_seconds
from ml.data.symbols import SymbolInfo, SymbolRef, parse_symbol
from ml.data.timeparse import When, parse_range
from ml.data.validation import ValidationReport, validate
from ml.db import open_database, write_transaction
from ml.settings import CoreSettings, load_settings

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
# Do not ask the provider again within this time (nor within one bar) of the last fetch.
MIN_REFRESH_AGE = pd.Timedelta(minutes=15)
# Start a little inside the provider's history limit, so the request is not refused.
LIMIT_MARGIN = pd.Timedelta(hours=1)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class _Refresh:
    """What a refresh brought: repairs made at ingest, bars still forming, provider info."""

    report: ValidationReport | None = None
    partial: list[pd.DataFrame] = field(default_factory=list)
    info: SymbolInfo | None = None


class MarketData:
    """The data layer's entry point; ``providers`` and ``clock`` are injectable for tests."""

    def __init__(self, engine: Engine, *, settings: CoreSettings | None = None,
                 providers: Mapping[str, Provider] | None = None,
                 clock: Clock | None = None) -> None:
        self.engine = engine
        self.settings = settings or load_settings(CoreSettings)
        defaults: dict[str, Provider] = {
            "yahoo": YahooProvider(self.settings.var_dir,
                                   timeout_s=self.settings.yfinance_timeout_s),
            "sample": SampleProvider(),
            "csv": CsvProvider(engine),
        }
        defaults.update(providers or {})
        self.providers = defaults
        self.clock = clock or utc_now

    def now(self) -> pd.Timestamp:
        return pd.Timestamp(self.clock()).tz_convert("UTC")

    # --- the public operation ---------------------------------------------------------------

    def load(self, symbol: str, interval: str, start: When = None, end: When = None, *,
             refresh: bool = True, include_partial: bool = False) -> BarsResult:
        """Bars of ``symbol`` at ``interval`` with start <= label <= end (see module doc)."""
        ref = parse_symbol(symbol)
        check_interval(interval)
        start_ts, end_ts = parse_range(start, end)
        provider = self.providers[ref.provider]
        base = provider.native_interval(ref, interval)
        now = self.now()
        notes: list[str] = list(provider.standing_notes(ref))
        outcome = _Refresh()
        if refresh and provider.fetchable:
            outcome = self._refresh(ref, provider, base, start_ts, end_ts, now, notes,
                                    include_partial)
        bars, partial_last = self._read(ref, provider, base, interval, start_ts, end_ts, now,
                                        outcome, include_partial)
        info = (outcome.info or cache.load_symbol(self.engine, ref.symbol)
                or provider.describe_symbol(ref))
        calendar = calendar_for(info.asset_class, info.exchange_timezone, info.currency)
        clean, report = validate(bars, interval, calendar)
        if outcome.report is not None:
            report.absorb(outcome.report)
        age = self._cache_age(ref, provider, base, now, report)
        if clean.empty:
            raise NoDataError(self._nothing_message(ref, interval, start_ts, end_ts, notes))
        if partial_last:
            notes.append(f"the last bar ({clean.index[-1]:%Y-%m-%d %H:%M} UTC) is still "
                         "forming: it is shown but not cached")
        meta = BarsMeta(symbol=ref.symbol, interval=interval, asset_class=info.asset_class,
                        currency=info.currency, source=provider.source_label(ref),
                        first=clean.index[0], last=clean.index[-1], cache_age_s=age,
                        notes=notes, name=info.name, rows=len(clean),
                        partial_last_bar=partial_last)
        return BarsResult(clean, meta, report)

    # --- reading ----------------------------------------------------------------------------

    def _read(self, ref: SymbolRef, provider: Provider, base: str, interval: str,
              start: pd.Timestamp | None, end: pd.Timestamp | None, now: pd.Timestamp,
              outcome: _Refresh, include_partial: bool) -> tuple[pd.DataFrame, bool]:
        # Read whole target bins, so that the first and last bins are not cut short.
        read_start = floor_to_interval(start, interval) if start is not None else None
        read_end = end
        if end is not None and base != interval:
            read_end = floor_to_interval(end - pd.Timedelta(seconds=1), interval) + \
                interval_timedelta(interval)
        bars = cache.read_bars(self.engine, ref.symbol, base, read_start, read_end)
        if include_partial and outcome.partial:
            extra = pd.concat(outcome.partial)
            extra = extra[~extra.index.isin(bars.index)]
            bars = pd.concat([bars, extra]).sort_index()
        partial_last = bool(include_partial and outcome.partial and not bars.empty
                            and bars.index[-1] + interval_timedelta(base) > now)
        if base != interval:
            bars = resample_bars(bars, base, interval)
            forming = bars.index + interval_timedelta(interval) > now
            if not provider.static and forming.any():
                partial_last = include_partial
                if not include_partial:
                    bars = bars[~forming]
        if start is not None:
            bars = bars[bars.index >= start]
        if end is not None:
            bars = bars[bars.index < end]
        return bars, partial_last and not bars.empty

    def _cache_age(self, ref: SymbolRef, provider: Provider, base: str, now: pd.Timestamp,
                   report: ValidationReport) -> float | None:
        if isinstance(provider, CsvProvider):
            record = provider.record(ref)
            report.absorb(record.report)
            return age_seconds(record.imported_at, now.to_pydatetime())
        state = cache.get_state(self.engine, ref.symbol, base)
        return age_seconds(state.fetched_at if state else None, now.to_pydatetime())

    @staticmethod
    def _nothing_message(ref: SymbolRef, interval: str, start: pd.Timestamp | None,
                         end: pd.Timestamp | None, notes: list[str]) -> str:
        span = ""
        if start is not None or end is not None:
            span = (f" between {start:%Y-%m-%d %H:%M}" if start is not None else " before")
            span += f" and {end:%Y-%m-%d %H:%M} UTC" if end is not None else " and now"
        message = f"no {interval} bars for {ref.symbol}{span}"
        return message + (f" ({'; '.join(notes)})" if notes else "")

    # --- refreshing -------------------------------------------------------------------------

    def _refresh(self, ref: SymbolRef, provider: Provider, base: str,
                 start: pd.Timestamp | None, end: pd.Timestamp | None, now: pd.Timestamp,
                 notes: list[str], include_partial: bool) -> _Refresh:
        step = interval_timedelta(base)
        fetch_start = start
        # Ask up to our clock's now, not the provider's, so tests with a fixed clock replay.
        fetch_end = min(end, now) if end is not None else now
        limit = provider.history_limit(base)
        earliest: pd.Timestamp | None = None
        if limit is not None:
            earliest = floor_to_interval(now - limit + LIMIT_MARGIN, base) + step
            if fetch_start is None or fetch_start < earliest:
                notes.append(f"{provider.source_label(ref)} keeps {base} bars for the last "
                             f"{limit.days} days only: nothing before "
                             f"{earliest:%Y-%m-%d %H:%M} UTC can be fetched (older cached "
                             "bars are still shown)")
                fetch_start = earliest
        if fetch_end is not None and fetch_start is not None and fetch_end <= fetch_start:
            return _Refresh()
        state = cache.get_state(self.engine, ref.symbol, base)
        plan = plan_fetches(state, fetch_start, fetch_end, step, now, provider.static,
                            live=include_partial, earliest=earliest)
        outcome = _Refresh()
        for query_start, query_end in plan:
            query = Query(ref, base, query_start, query_end)
            if not self._fetch_one(provider, query, state, now, notes, outcome, start, end):
                break
        return outcome

    def _fetch_one(self, provider: Provider, query: Query, state: cache.FetchState | None,
                   now: pd.Timestamp, notes: list[str], outcome: _Refresh,
                   start: pd.Timestamp | None, end: pd.Timestamp | None) -> bool:
        """Fetch one range and store it; False when the provider failed (stop refreshing)."""
        symbol, base = query.ref.symbol, query.interval
        try:
            fetched = provider.fetch(query)
        except NoDataError:
            if state is None:
                raise
            # Nothing new (a weekend, a holiday): remember that we asked.
            with write_transaction(self.engine) as connection:
                cache.advance_state(connection, symbol=symbol, interval=base,
                                    covered_from_ts=cache.to_epoch(
                                        query.start, cache.FULL_HISTORY_TS),
                                    last_complete_ts=None,
                                    fetched_at=now.to_pydatetime(), source=provider.name)
            return True
        except ProviderError as error:
            cached = cache.count_bars(self.engine, symbol, base, start, end)
            if not cached:
                raise
            age = age_seconds(state.fetched_at if state else None, now.to_pydatetime())
            notes.append(f"{error}. Showing {cached} cached bars instead"
                         + (f" (fetched {human_age(age)} ago)" if age is not None else ""))
            logger.warning("serving cache for %s after provider error: %s", symbol, error)
            return False
        calendar = calendar_for(fetched.info.asset_class, fetched.info.exchange_timezone,
                                fetched.info.currency)
        clean, report = validate(fetched.bars, base, calendar)
        forming = (clean.index + interval_timedelta(base) > now) if not provider.static \
            else pd.Series(False, index=clean.index).to_numpy()
        complete = clean[~forming]
        if forming.any():
            outcome.partial.append(clean[forming])
        with write_transaction(self.engine) as connection:
            cache.upsert_bars(connection, symbol, base, complete)
            cache.advance_state(
                connection, symbol=symbol, interval=base,
                covered_from_ts=cache.to_epoch(query.start, cache.FULL_HISTORY_TS),
                last_complete_ts=cache.to_epoch(complete.index[-1], 0) if len(complete)
                else None,
                fetched_at=now.to_pydatetime(), source=provider.name)
            cache.save_symbol(connection, fetched.info, now.to_pydatetime())
        if outcome.report is None:
            outcome.report = report
        else:
            outcome.report.absorb(report)
        outcome.info = fetched.info
        notes.extend(n for n in fetched.notes if n not in notes)
        logger.info("cached %d %s bars of %s (%d forming)", len(complete), base, symbol,
                    int(forming.sum()))
        return True


def plan_fetches(state: cache.FetchState | None, start: pd.Timestamp | None,
                 end: pd.Timestamp | None, step: pd.Timedelta, now: pd.Timestamp,
                 static: bool, *, live: bool = False, earliest: pd.Timestamp | None = None
                 ) -> list[tuple[pd.Timestamp | None, pd.Timestamp | None]]:
    """The ranges to ask the provider for, given what the cache already covers.

    ``live`` (the caller wants the forming bar) asks for the latest bars even when no new bar
    can have closed since the last fetch. ``earliest`` is the provider's history limit: a
    resume point older than that starts there instead (the bars between are gone).
    """
    if static:
        # A static source is cached whole on first use and never changes afterwards.
        return [] if state is not None else [(None, None)]
    if state is None:
        return [(start, end)]
    plan: list[tuple[pd.Timestamp | None, pd.Timestamp | None]] = []
    covered_from = state.covered_from_ts
    if covered_from is not None and cache.to_epoch(start, cache.FULL_HISTORY_TS) < covered_from:
        plan.append((start, _from_epoch(covered_from)))
    # Resume after the last complete bar (even when the request starts later), so the cached
    # range never has a hole.
    if state.last_complete_ts is not None:
        resume: pd.Timestamp | None = _from_epoch(state.last_complete_ts) + step
    elif covered_from is not None and covered_from != cache.FULL_HISTORY_TS:
        resume = _from_epoch(covered_from)
    else:
        resume = start
    if resume is not None and earliest is not None:
        resume = max(resume, earliest)
    fresh = now - pd.Timestamp(state.fetched_at) < min(step, MIN_REFRESH_AGE)
    next_bar_closed = resume is None or resume + step <= now
    wanted_later = end is None or resume is None or resume < end
    if wanted_later and (live or (next_bar_closed and not fresh)):
        plan.append((resume, end))
    return plan


def _from_epoch(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC").as_unit("ns")


def load_bars(symbol: str, interval: str, start: When = None, end: When = None, *,
              engine: Engine | None = None, refresh: bool = True,
              include_partial: bool = False) -> BarsResult:
    """Load bars through the configured database (see ``MarketData.load``)."""
    settings = load_settings(CoreSettings)
    if engine is None:
        engine = open_database(settings.resolved_database_url())
    return MarketData(engine, settings=settings).load(
        symbol, interval, start, end, refresh=refresh, include_partial=include_partial)
