"""``python -m ml fetch SYMBOL --interval 1d [--start] [--end] [--json]``: load bars (through
the cache) and print what came back."""

from __future__ import annotations

import argparse
import logging

from ml.cli.main import print_json
from ml.data import INTERVALS, BarsResult, MarketData
from ml.db import open_database
from ml.settings import CoreSettings, load_settings

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fetch", help="load bars for a symbol (Yahoo, sample:NAME or csv:NAME)",
        description="Load bars through the database cache and print a summary.")
    parser.add_argument("symbol", help="AAPL, BTC-USD, EURUSD=X, GC=F, ^GSPC, sample:SPX, "
                                       "sample:GOOG, sample:EURUSD or csv:NAME")
    parser.add_argument("--interval", default="1d", help=f"one of {', '.join(INTERVALS)}")
    parser.add_argument("--start", help="first date (YYYY-MM-DD or ISO time, UTC)")
    parser.add_argument("--end", help="last date, inclusive (YYYY-MM-DD or ISO time, UTC)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-refresh", action="store_true",
                        help="read the cache only; do not ask the provider")
    parser.add_argument("--include-partial", action="store_true",
                        help="also show the bar that is still forming")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(CoreSettings)
    engine = open_database(settings.resolved_database_url())
    result = MarketData(engine, settings=settings).load(
        args.symbol, args.interval, args.start, args.end, refresh=not args.no_refresh,
        include_partial=args.include_partial)
    if args.json:
        print_json(result.to_dict())
    else:
        print(summary(result))
    return 0


def summary(result: BarsResult) -> str:
    """A few lines for a terminal: what, how much, from where, and what the checks found."""
    meta, report = result.meta, result.report
    age = "n/a" if meta.cache_age_s is None else f"{meta.cache_age_s:.0f} s"
    lines = [
        f"{meta.symbol} {meta.interval}: {meta.rows} bars, {meta.first:%Y-%m-%d %H:%M} to "
        f"{meta.last:%Y-%m-%d %H:%M} UTC",
        f"{meta.asset_class}, {meta.currency}; source: {meta.source}; cache age: {age}",
        f"checks: {report.rows_dropped} rows dropped, {report.rows_repaired} repaired, "
        f"{report.gap_count} gaps, {report.outlier_count} outlier returns",
    ]
    lines += [f"note: {note}" for note in meta.notes]
    lines.append(result.bars.tail(5).to_string())
    return "\n".join(lines)
