"""Market data: providers (Yahoo, bundled samples, imported CSVs) behind one cached,
validated interface.

``load_bars(symbol, interval, start, end)`` returns a ``BarsResult`` with ``bars`` (UTC index
named ``timestamp``, float64 open/high/low/close/volume, ascending, unique), ``meta``
(``BarsMeta``) and ``report`` (``ValidationReport``; ``to_dict()`` is JSON-able).
"""

from ml.data.age import human_age
from ml.data.errors import DataError
from ml.data.intervals import INTERVALS
from ml.data.result import BarsMeta, BarsResult
from ml.data.service import MarketData, load_bars
from ml.data.validation import ValidationReport

__all__ = ["INTERVALS", "BarsMeta", "BarsResult", "DataError", "MarketData",
           "ValidationReport", "human_age", "load_bars"]
