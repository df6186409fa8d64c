"""How many bars make a year, per asset class and interval: the one annualisation rule.

Risk metrics, model evaluation and the UI all scale per-bar figures by this number (volatility
by its square root), so they agree with each other.

Rules (nominal, documented in docs/indicators.md):

* stock, index: 252 trading days a year, 6.5 trading hours a day (a US session, 09:30-16:00
  New York). Intraday bars per day are ``ceil(session minutes / bar minutes)`` because a
  provider emits the session's last partial bar too (6.5 h in 1h bars is 7 bars).
* commodity: 252 trading days, 23 hours a day (CME Globex futures such as ``GC=F``).
* crypto: 365 days, 24 hours a day.
* forex: 260 days (52 weeks x 5 days; the market closes at weekends), 24 hours a day.
* 1wk bars: 52 a year for every class; 1d bars: the class's trading days.
"""

from __future__ import annotations

import logging
import math

logger = logging.getLogger(__name__)

ASSET_CLASSES = ("stock", "index", "commodity", "crypto", "forex")

# Trading days a year and trading hours a day per asset class.
_CALENDARS: dict[str, tuple[int, float]] = {
    "stock": (252, 6.5),
    "index": (252, 6.5),
    "commodity": (252, 23.0),
    "crypto": (365, 24.0),
    "forex": (260, 24.0),
}

# Bar length in minutes for intraday intervals; 1d and 1wk are handled by calendar.
_INTRADAY_MINUTES: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60,
                                     "4h": 240}
WEEKS_PER_YEAR = 52
SUPPORTED_INTERVALS = (*_INTRADAY_MINUTES, "1d", "1wk")


def bars_per_day(asset_class: str, interval: str) -> float:
    """Bars in one trading day for an intraday interval (1.0 for ``1d``)."""
    _days, hours = _calendar(asset_class)
    _check_interval(interval)
    if interval == "1d":
        return 1.0
    if interval == "1wk":
        raise ValueError("interval '1wk' is coarser than a day: it has no bars per day")
    return float(math.ceil(hours * 60 / _INTRADAY_MINUTES[interval]))


def periods_per_year(asset_class: str, interval: str) -> float:
    """Bars in one year for ``asset_class`` at ``interval``.

    >>> periods_per_year("stock", "1d"), periods_per_year("crypto", "1h")
    (252.0, 8760.0)
    """
    days, _hours = _calendar(asset_class)
    _check_interval(interval)
    if interval == "1wk":
        return float(WEEKS_PER_YEAR)
    return days * bars_per_day(asset_class, interval)


def _calendar(asset_class: str) -> tuple[int, float]:
    if not isinstance(asset_class, str) or asset_class not in _CALENDARS:
        raise ValueError(f"unknown asset class {asset_class!r}; expected one of "
                         f"{', '.join(ASSET_CLASSES)}")
    return _CALENDARS[asset_class]


def _check_interval(interval: str) -> None:
    if not isinstance(interval, str) or interval not in SUPPORTED_INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; expected one of "
                         f"{', '.join(SUPPORTED_INTERVALS)}")
