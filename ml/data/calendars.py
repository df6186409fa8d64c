"""When markets are closed, so that closed hours, weekends and holidays are not called gaps.

Three kinds: ``always`` (crypto, 24/7), ``forex`` (24/5: closed from Friday evening to Sunday
evening UTC, and on 25 December and 1 January), and ``exchange`` (stocks, indices,
commodities: weekdays, with the NYSE holiday calendar for US listings; elsewhere one missing
weekday in a row is taken for a holiday, and intraday pauses up to two hours for a lunch break).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

logger = logging.getLogger(__name__)

# Days the NYSE closed outside its rules (national mourning, 9/11, hurricane Sandy).
NYSE_SPECIAL_CLOSURES: tuple[str, ...] = (
    "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2004-06-11", "2007-01-02",
    "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09",
)


class NyseHolidayCalendar(AbstractHolidayCalendar):
    """NYSE full-day holidays by rule (from 1998, when MLK day was added)."""

    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-06-19",
                observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas Day", month=12, day=25, observance=nearest_workday),
    ]


@dataclass(frozen=True)
class MarketCalendar:
    """``kind`` is ``always``, ``forex`` or ``exchange``; ``nyse`` adds US holidays."""

    kind: str
    nyse: bool = False
    timezone: str = "UTC"

    def describe(self) -> str:
        if self.kind == "always":
            return "trades 24/7: any missing bar is a gap"
        if self.kind == "forex":
            return ("trades 24/5: Friday 20:00 to Sunday 23:00 UTC, 25 December and 1 January "
                    "are not gaps")
        if self.nyse:
            return "NYSE sessions: nights, weekends and NYSE holidays are not gaps"
        return ("exchange sessions: nights, weekends, one missing weekday (a holiday) and "
                "intraday pauses up to 2 hours are not gaps")

    def closed_days(self, start: pd.Timestamp, end: pd.Timestamp) -> set[dt.date]:
        """Weekdays the market is closed between two dates (inclusive)."""
        if self.kind == "forex":
            years = range(start.year, end.year + 2)
            return {dt.date(y, 12, 25) for y in years} | {dt.date(y, 1, 1) for y in years}
        if self.kind == "exchange" and self.nyse:
            found = NyseHolidayCalendar().holidays(start.tz_localize(None).normalize(),
                                                   end.tz_localize(None).normalize())
            days = {d.date() for d in found}
            days |= {dt.date.fromisoformat(d) for d in NYSE_SPECIAL_CLOSURES}
            return days
        return set()


def calendar_for(asset_class: str, exchange_timezone: str | None,
                 currency: str | None) -> MarketCalendar:
    """The calendar of a symbol from what we know of it."""
    if asset_class == "crypto":
        return MarketCalendar("always")
    if asset_class == "forex":
        return MarketCalendar("forex")
    tz = exchange_timezone or "UTC"
    us = exchange_timezone in {"America/New_York", "US/Eastern"} or (
        exchange_timezone is None and currency == "USD")
    return MarketCalendar("exchange", nyse=us and asset_class in {"stock", "index"},
                          timezone=tz if exchange_timezone else "America/New_York")


def _is_forex_weekend(stamps: pd.DatetimeIndex) -> np.ndarray:
    """True for UTC instants in the weekly forex close (Fri 20:00 to Sun 23:00, DST-tolerant)."""
    weekday = stamps.day_of_week.to_numpy()
    hour = stamps.hour.to_numpy()
    return ((weekday == 4) & (hour >= 20)) | (weekday == 5) | ((weekday == 6) & (hour < 23))


def count_missing(calendar: MarketCalendar, before: pd.DatetimeIndex, after: pd.DatetimeIndex,
                  step: pd.Timedelta, closed: set[dt.date]) -> np.ndarray:
    """For consecutive bars ``before[i]``, ``after[i]`` (UTC), how many bars the market should
    have had between them: more than zero means a gap. Whole missing days count as one each.
    """
    spans = (after - before).to_numpy()
    slots = spans // step.to_timedelta64() - 1
    if step >= pd.Timedelta(days=7) or calendar.kind == "always":
        return np.maximum(slots, 0).astype(np.int64)
    if step >= pd.Timedelta(days=1):
        missing = _business_days_between(before, after, closed)
        if calendar.kind == "exchange" and not calendar.nyse:
            missing = np.where(missing <= 1, 0, missing)  # one unknown holiday
        return missing
    if calendar.kind == "forex":
        return np.array([_forex_open_slots(b, a, step, closed) for b, a in zip(before, after,
                                                                               strict=True)],
                        dtype=np.int64)
    return _exchange_intraday(calendar, before, after, step, closed)


def _business_days_between(before: pd.DatetimeIndex, after: pd.DatetimeIndex,
                           closed: set[dt.date]) -> np.ndarray:
    """Weekdays that are not holidays strictly between the two days."""
    first = before.normalize().tz_localize(None).to_numpy().astype("datetime64[D]") + 1
    last = after.normalize().tz_localize(None).to_numpy().astype("datetime64[D]")
    holidays = np.array(sorted(closed), dtype="datetime64[D]")
    return np.busday_count(first, np.maximum(first, last), holidays=holidays).astype(np.int64)


def _forex_open_slots(before: pd.Timestamp, after: pd.Timestamp, step: pd.Timedelta,
                      closed: set[dt.date]) -> int:
    slots = pd.date_range(before + step, after - step, freq=step)
    open_slots = ~_is_forex_weekend(slots)
    # A holiday closes like a weekend day: from 20:00 UTC the evening before.
    holidays = np.array(sorted(closed), dtype=object)
    open_slots &= ~np.isin(slots.date, holidays)
    open_slots &= ~np.isin((slots + pd.Timedelta(hours=4)).date, holidays)
    return int(open_slots.sum())


def _exchange_intraday(calendar: MarketCalendar, before: pd.DatetimeIndex,
                       after: pd.DatetimeIndex, step: pd.Timedelta,
                       closed: set[dt.date]) -> np.ndarray:
    local_before = before.tz_convert(calendar.timezone)
    local_after = after.tz_convert(calendar.timezone)
    same_day = (local_before.normalize().tz_localize(None) ==
                local_after.normalize().tz_localize(None))
    pause = (after - before).to_numpy() - step.to_timedelta64()
    within = pause // step.to_timedelta64()
    if not calendar.nyse:
        within = np.where(pause <= np.timedelta64(2, "h"), 0, within)  # a lunch break
    # Overnight: only whole trading days skipped count.
    overnight = _business_days_between(local_before.tz_localize(None).tz_localize("UTC"),
                                       local_after.tz_localize(None).tz_localize("UTC"), closed)
    return np.where(same_day, within, overnight).astype(np.int64)
