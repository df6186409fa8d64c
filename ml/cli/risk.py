"""``python -m ml risk SYMBOL --interval 1d [--start] [--end] [--benchmark SYMBOL] [--json]``:
the risk report (volatility, ratios, drawdown with dates, VaR/CVaR, beta) of one symbol."""

from __future__ import annotations

import argparse
import logging

from ml.analytics import LEVELS, METHODS, Drawdown, RiskReport, risk_report
from ml.cli.main import print_json
from ml.data import INTERVALS, load_bars

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "risk", help="risk report of a symbol: volatility, Sharpe, drawdown, VaR, beta",
        description="Risk metrics of a symbol's close-to-close returns, annualised for its "
                    "asset class and interval (see docs/indicators.md).")
    parser.add_argument("symbol", help="AAPL, BTC-USD, EURUSD=X, sample:SPX, csv:NAME ...")
    parser.add_argument("--interval", default="1d", help=f"one of {', '.join(INTERVALS)}")
    parser.add_argument("--start", help="first date (YYYY-MM-DD or ISO time, UTC)")
    parser.add_argument("--end", help="last date, inclusive")
    parser.add_argument("--benchmark", help="symbol for beta and correlation, e.g. ^GSPC")
    parser.add_argument("--risk-free", type=float, default=0.0, metavar="RATE",
                        help="annual risk-free rate as a fraction (0.04 = 4%%; default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--drawdown-series", action="store_true",
                        help="with --json: include the drawdown at every bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_bars(args.symbol, args.interval, args.start, args.end)
    benchmark = None
    if args.benchmark:
        benchmark = load_bars(args.benchmark, args.interval, args.start, args.end)
    report = risk_report(loaded.bars, loaded.meta.asset_class, args.interval,
                         risk_free_rate=args.risk_free,
                         benchmark=benchmark.bars if benchmark else None)
    notes = [*loaded.meta.notes, *(benchmark.meta.notes if benchmark else [])]
    if args.json:
        print_json({"symbol": loaded.meta.symbol, "source": loaded.meta.source,
                    "benchmark_symbol": benchmark.meta.symbol if benchmark else None,
                    **report.to_dict(include_drawdown_series=args.drawdown_series),
                    "data_notes": notes})
        return 0
    print(render(report, loaded.meta.symbol, loaded.meta.source,
                 benchmark.meta.symbol if benchmark else None))
    for note in [*report.notes, *notes]:
        print(f"note: {note}")
    return 0


def render(report: RiskReport, symbol: str, source: str, benchmark: str | None) -> str:
    """The report as a few aligned lines for a terminal."""
    when = _date_format(report.interval)
    dd = report.max_drawdown
    lines = [
        f"{symbol} {report.interval} ({report.asset_class}; {source})",
        f"{report.bars} bars, {report.start:{when}} to {report.end:{when}} UTC; "
        f"{report.periods_per_year:g} bars a year",
        f"return        total {_pct(report.total_return)}, annualised "
        f"{_pct(report.annualized_return)}",
        f"volatility    annualised {_pct(report.annualized_volatility)}",
        f"ratios        Sharpe {_num(report.sharpe)}, Sortino {_num(report.sortino)}, "
        f"Calmar {_num(report.calmar)} (risk-free {_pct(report.risk_free_rate)} a year)",
        f"max drawdown  {_drawdown(dd, when)}",
        f"distribution  skewness {_num(report.skewness)}, excess kurtosis "
        f"{_num(report.excess_kurtosis)}",
        "VaR / CVaR    one-bar loss  " + "".join(f"{f'{lv:.0%}':>18}" for lv in LEVELS),
    ]
    for method in METHODS:
        cells = []
        for level in LEVELS:
            var, cvar = report.var(method, level), report.cvar(method, level)
            cells.append("n/a" if var is None else f"{_pct(var)} / {_pct(cvar)}")
        lines.append(f"  {method:<26}" + "".join(f"{c:>18}" for c in cells))
    if report.benchmark is not None and benchmark:
        stats = report.benchmark
        lines.append(f"vs {benchmark:<10} beta {_num(stats.beta)}, correlation "
                     f"{_num(stats.correlation)} ({stats.observations} common returns)")
    return "\n".join(lines)


def _drawdown(dd: Drawdown, when: str) -> str:
    if dd.peak is None or dd.trough is None:
        return "none (never below an earlier peak)"
    recovery = (f"recovered {dd.recovery:{when}}" if dd.recovery is not None
                else "not recovered by the last bar")
    return (f"{_pct(dd.depth)}: peak {dd.peak:{when}}, trough {dd.trough:{when}}, {recovery} "
            f"({dd.duration_bars} bars, {dd.duration_days:.0f} days)")


def _date_format(interval: str) -> str:
    return "%Y-%m-%d" if interval in ("1d", "1wk") else "%Y-%m-%d %H:%M"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"

