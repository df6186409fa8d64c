"""``python -m ml train SYMBOL``: train, evaluate against baselines, register a version."""

from __future__ import annotations

import argparse

from ml.cli._forecast import add_model_arguments, config_from_args, print_report, progress_printer
from ml.cli.main import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a forecasting model and register it")
    add_model_arguments(parser)
    parser.add_argument("--no-promote", action="store_true",
                        help="register without making it the active model (unless none is)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ml.forecast import train_model

    config = config_from_args(args)
    report = train_model(args.symbol, args.interval, config, promote=not args.no_promote,
                         on_progress=progress_printer(not args.json))
    if args.json:
        print_json(report)
        return 0
    version = report["version"]
    print(f"{report['symbol']} {args.interval}: registered version {version['version']} "
          f"(id {version['id']}, {config.kind}, {config.target}"
          f"{', active' if version['active'] else ''})")
    print(f"data {report['data']['first']} .. {report['data']['last']} "
          f"({report['data']['rows']} bars); test split {report['period']['first']} .. "
          f"{report['period']['last']} ({report['samples']} forecasts); "
          f"{report['training']['epochs_run']} epochs in {report['training']['total_seconds']}s")
    print_report(report)
    return 0
