"""``python -m ml import-csv PATH --symbol NAME [--interval 1h] [--json]``: import a CSV file
of bars as ``csv:NAME`` (replacing an earlier import of that name)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ml.cli.fetch import summary
from ml.cli.main import CliError, print_json
from ml.data import INTERVALS, MarketData
from ml.data.csv_import import import_csv_file
from ml.data.symbols import ASSET_CLASSES
from ml.db import open_database
from ml.settings import CoreSettings, load_settings

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-csv", help="import a CSV file of bars as csv:NAME",
        description="Import OHLCV bars from a CSV file; read them later as csv:NAME.")
    parser.add_argument("path", type=Path, help="the CSV file")
    parser.add_argument("--symbol", required=True, help="NAME to store it under (csv:NAME)")
    parser.add_argument("--interval", help=f"store as this interval ({', '.join(INTERVALS)}); "
                                           "default: detected from the rows")
    parser.add_argument("--asset-class", choices=ASSET_CLASSES,
                        help="default: guessed from a symbol column or the name")
    parser.add_argument("--currency", help="quote currency (default: guessed, else USD)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.path.is_file():
        raise CliError(f"no such file: {args.path}")
    settings = load_settings(CoreSettings)
    engine = open_database(settings.resolved_database_url())
    market = MarketData(engine, settings=settings)
    result = import_csv_file(args.path, args.symbol, market=market, interval=args.interval,
                             asset_class=args.asset_class, currency=args.currency)
    if args.json:
        print_json(result.to_dict())
    else:
        print(summary(result))
    return 0
