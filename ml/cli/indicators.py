"""``python -m ml indicators SYMBOL --interval 1d [--names rsi,macd:fast=8:slow=21] [--tail N]
[--json]``: the chosen indicators' latest values; ``--list`` prints the registry."""

from __future__ import annotations

import argparse
import logging

import pandas as pd

from ml.analytics import REGISTRY, IndicatorSpec, compute_many, parse_requests
from ml.cli.main import CliError, print_json
from ml.data import INTERVALS, load_bars
from ml.json_values import json_safe

logger = logging.getLogger(__name__)

TRANSPOSE_UP_TO = 5  # up to this many rows, print one line per column (easier to read)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "indicators", help="latest technical indicator values for a symbol",
        description="Compute technical indicators on a symbol's bars and print the latest "
                    "values. NAMES is comma separated, each optionally with parameters: "
                    "rsi:period=7,macd:fast=8:slow=21,bbands:stddev=2.5.")
    parser.add_argument("symbol", nargs="?", help="AAPL, BTC-USD, sample:SPX, csv:NAME ...")
    parser.add_argument("--interval", default="1d", help=f"one of {', '.join(INTERVALS)}")
    parser.add_argument("--names", help="indicators to compute (default: all; see --list)")
    parser.add_argument("--tail", type=int, default=1, help="how many latest bars (default 1)")
    parser.add_argument("--start", help="first date (YYYY-MM-DD or ISO time, UTC); the "
                                        "warm-up is counted from here")
    parser.add_argument("--end", help="last date, inclusive")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--list", action="store_true", help="list the indicators and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        if args.json:
            print_json([spec.to_dict() for spec in REGISTRY.values()])
        else:
            print(registry_table())
        return 0
    if not args.symbol:
        raise CliError("give a SYMBOL (or --list to see the indicators)")
    if args.tail < 1:
        raise CliError(f"--tail must be at least 1; got {args.tail}")
    requests = parse_requests(args.names) if args.names else [(n, {}) for n in REGISTRY]
    result = load_bars(args.symbol, args.interval, args.start, args.end)
    values = compute_many(result.bars, requests).iloc[-args.tail:]
    meta = result.meta
    if args.json:
        print_json({"symbol": meta.symbol, "interval": meta.interval,
                    "asset_class": meta.asset_class, "source": meta.source,
                    "bars": len(result.bars), "columns": list(values.columns),
                    "rows": [{"timestamp": ts.isoformat(),
                              **{c: json_safe(v) for c, v in row.items()}}
                             for ts, row in values.iterrows()],
                    "notes": list(meta.notes)})
        return 0
    print(f"{meta.symbol} {meta.interval} ({meta.asset_class}; {meta.source}): "
          f"{len(result.bars)} bars, last {result.bars.index[-1]:%Y-%m-%d %H:%M} UTC")
    for note in meta.notes:
        print(f"note: {note}")
    print(_table(values, meta.interval))
    return 0


def registry_table() -> str:
    """One line per indicator: name, family, where it is drawn, value range, parameters."""
    header = ("name", "family", "drawn", "range", "parameters (default [min, max])")
    rows = [header] + [(spec.name, spec.family, "on price" if spec.overlay else "own panel",
                        _range(spec), _params(spec)) for spec in REGISTRY.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)),
                        row[-1]]) for row in rows]
    return "\n".join(lines) + "\n(column names and outputs: --list --json)"


def _params(spec: IndicatorSpec) -> str:
    parts = []
    for param in spec.params:
        if param.kind == "choice":
            parts.append(f"{param.name}={param.default} ({'|'.join(param.choices)})")
        else:
            parts.append(f"{param.name}={param.default} {param.bounds_text()}")
    return "; ".join(parts) or "-"


def _range(spec: IndicatorSpec) -> str:
    if spec.value_range is None:
        return "-"
    low, high = spec.value_range
    return f"{low:g}..{high:g}"


def _table(values: pd.DataFrame, interval: str) -> str:
    fmt = "%Y-%m-%d" if interval in ("1d", "1wk") else "%Y-%m-%d %H:%M"
    shown = values.copy()
    shown.index = shown.index.strftime(fmt)
    if len(shown) <= TRANSPOSE_UP_TO:
        shown = shown.T
    return shown.to_string(float_format=lambda v: f"{v:.6g}", na_rep="NaN")
