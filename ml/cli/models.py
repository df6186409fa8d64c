"""``python -m ml models``: list the registry; promote a version or roll back."""

from __future__ import annotations

import argparse

from ml.cli.main import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="the model registry (list/promote/rollback)")
    parser.add_argument("action", nargs="?", choices=("list", "promote", "rollback"),
                        default="list")
    parser.add_argument("ref", nargs="?", help="promote: version id; rollback: SYMBOL")
    parser.add_argument("--symbol", default=None, help="list: only this symbol")
    parser.add_argument("--interval", default=None, help="list filter; rollback: required")
    parser.add_argument("--target", default="returns", help="rollback: returns or volatility")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ml.cli.main import CliError
    from ml.forecast import default_engine, registry

    engine = default_engine(None)
    if args.action == "promote":
        if args.ref is None or not args.ref.isdigit():
            raise CliError("models promote needs a version id (see: python -m ml models)")
        info = registry.promote(engine, int(args.ref))
        return _show([info], args.json)
    if args.action == "rollback":
        if args.ref is None or args.interval is None:
            raise CliError("models rollback needs SYMBOL and --interval")
        info = registry.rollback(engine, args.ref, args.interval, args.target)
        return _show([info], args.json)
    return _show(registry.list_versions(engine, args.symbol, args.interval), args.json)


def _show(versions: list, as_json: bool) -> int:
    if as_json:
        print_json({"versions": [v.to_dict() for v in versions]})
        return 0
    if not versions:
        print("no models registered yet: python -m ml train SYMBOL --interval 1d")
        return 0
    print(f"{'id':>4} {'symbol':<16} {'int':<4} {'target':<10} {'v':>3} {'kind':<9} "
          f"{'created':<19} {'data last':<19} {'U':>6} {'verdict':<10} active")
    for v in versions:
        summary = v.metrics.get("summary") or {}
        u = summary.get("mean_theil_u")
        print(f"{v.id:>4} {v.symbol:<16} {v.interval:<4} {v.target:<10} {v.version:>3} "
              f"{v.kind:<9} {v.created_at.isoformat()[:19]:<19} "
              f"{v.data_last.isoformat()[:19]:<19} {'-' if u is None else f'{u:.3f}':>6} "
              f"{summary.get('verdict', '-'):<10} {'*' if v.active else ''}")
    return 0
