"""``python -m ml backtest SYMBOL``: walk-forward evaluation, refitting on every fold."""

from __future__ import annotations

import argparse

from ml.cli._forecast import add_model_arguments, config_from_args, print_report, progress_printer
from ml.cli.main import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backtest", help="walk-forward backtest against baselines")
    add_model_arguments(parser)
    parser.add_argument("--folds", type=int, default=5, help="test blocks, each refit (1..20)")
    parser.add_argument("--mode", choices=("expanding", "sliding"), default="expanding",
                        help="training window of each fold")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ml.forecast import backtest_model

    config = config_from_args(args)
    report = backtest_model(args.symbol, args.interval, config, folds=args.folds,
                            mode=args.mode, on_progress=progress_printer(not args.json))
    if args.json:
        print_json(report)
        return 0
    print(f"{report['symbol']} {args.interval}: {args.mode} walk-forward, {args.folds} folds, "
          f"{report['samples']} out-of-sample forecasts {report['period']['first']} .. "
          f"{report['period']['last']}")
    for fold in report["folds"]:
        print(f"  fold {fold['fold']}: {fold['period']['first'][:10]} .. "
              f"{fold['period']['last'][:10]}  mean U {fold.get('mean_theil_u', 0):.3f}  "
              f"{fold['verdict']}")
    print_report(report)
    return 0
