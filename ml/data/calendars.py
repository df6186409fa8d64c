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


def _is_forex_weekend(stamps: np.ndarray) -> np.ndarray:
    """True for UTC instants in the weekly forex close (Fri 20:00 to Sun 23:00, DST-tolerant)."""
    index = pd.DatetimeIndex(stamps)
    weekday = index.dayofweek.to_numpy()
    hour = index.hour.to_numpy()
    return ((weekday == 4) & (hour >= 20)) | (weekday == 5) | ((weekday == 6) & (hour < 23))


def missing_open_bars(calendar: MarketCalendar, before: pd.Timestamp, after: pd.Timestamp,
                      step: pd.Timedelta, closed: set[dt.date]) -> int:
    """How many bars the market should have had strictly between two consecutive bars."""
    if after - before <= step:
        return 0
    if step >= pd.Timedelta(days=7):
        return int((after - before) / step) - 1
    if step >= pd.Timedelta(days=1):
        return _missing_days(calendar, before, after, closed)
    if calendar.kind == "always":
        return int((after - before) / step) - 1
    if calendar.kind == "forex":
        slots = pd.date_range(before + step, after - step, freq=step)
        open_slots = ~_is_forex_weekend(slots.to_numpy())
        # A holiday closes like a weekend day: from 20:00 UTC the evening before.
        holidays = list(closed)
        open_slots &= ~np.isin(slots.date, holidays)
        open_slots &= ~np.isin((slots + pd.Timedelta(hours=4)).date, holidays)
        return int(open_slots.sum())
    return _missing_exchange_intraday(calendar, before, after, step, closed)


def _missing_days(calendar: MarketCalendar, before: pd.Timestamp, after: pd.Timestamp,
                  closed: set[dt.date]) -> int:
    days = pd.date_range(before.normalize() + pd.Timedelta(days=1),
                         after.normalize() - pd.Timedelta(days=1), freq="1D")
    if calendar.kind == "always":
        return len(days)
    weekdays = [d.date() for d in days if d.dayofweek < 5 and d.date() not in closed]
    if calendar.kind == "exchange" and not calendar.nyse and len(weekdays) <= 1:
        return 0  # one unknown holiday
    return len(weekdays)


def _missing_exchange_intraday(calendar: MarketCalendar, before: pd.Timestamp,
                               after: pd.Timestamp, step: pd.Timedelta,
                               closed: set[dt.date]) -> int:
    local_before = before.tz_convert(calendar.timezone)
    local_after = after.tz_convert(calendar.timezone)
    if local_before.date() == local_after.date():
        pause = after - before - step
        if not calendar.nyse and pause <= pd.Timedelta(hours=2):
            return 0  # a lunch break
        return int(pause / step)
    # Overnight: only whole trading days skipped count.
    skipped = _missing_days(calendar, local_before.tz_localize(None),
                            local_after.tz_localize(None), closed)
    return skipped
