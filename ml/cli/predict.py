"""``python -m ml predict SYMBOL``: the active model's forecast with its 80% and 95% bands."""

from __future__ import annotations

import argparse

from ml.cli.main import print_json
from ml.forecast import TARGETS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("predict", help="forecast with the active model")
    parser.add_argument("symbol")
    parser.add_argument("--interval", default="1d")
    parser.add_argument("--horizon", type=int, default=None,
                        help="bars ahead to show (default: the model's horizon)")
    parser.add_argument("--target", choices=TARGETS, default="returns")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ml.forecast import predict_active

    result = predict_active(args.symbol, args.interval, target=args.target,
                            horizon=args.horizon)
    if args.json:
        print_json(result)
        return 0
    model, forecast = result["model"], result["forecast"]
    print(f"{result['symbol']} {args.interval}: model v{model['version']} (id {model['id']}, "
          f"{model['kind']}, trained {model['created_at'][:19]}, test verdict: "
          f"{model['verdict']})")
    print(f"data up to {result['data_last']} ({result['data_age_s'] / 3600:.1f} h ago); "
          f"last close {forecast['last_close']:.6g}")
    values = forecast["prices"] if forecast["prices"] is not None else forecast["central"]
    label = "price" if forecast["prices"] is not None else "volatility"
    levels = list(forecast["bands"])
    print(f"{'h':>3} {label:>12} " + " ".join(f"{float(lv):.0%} band".rjust(27) for lv in levels))
    for i, h in enumerate(forecast["horizons"]):
        bands = " ".join(f"[{forecast['bands'][lv]['lower'][i]:>12.6g}, "
                         f"{forecast['bands'][lv]['upper'][i]:>12.6g}]" for lv in levels)
        print(f"{h:>3} {values[i]:>12.6g} {bands}")
    return 0
