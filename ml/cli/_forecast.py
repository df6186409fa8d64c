"""Arguments and text tables shared by the forecasting commands (train, backtest, predict)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ml.forecast import MODEL_KINDS, TARGETS, ModelConfig


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("symbol", help="e.g. sample:SPX, sample:EURUSD, BTC-USD, csv:NAME")
    parser.add_argument("--interval", default="1d", help="bar interval (default 1d)")
    parser.add_argument("--model", choices=MODEL_KINDS, default="lstm", help="model kind")
    parser.add_argument("--target", choices=TARGETS, default="returns",
                        help="returns (price paths) or volatility (vs GARCH)")
    parser.add_argument("--horizon", type=int, default=5, help="bars ahead, 1..60")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs")
    parser.add_argument("--window", type=int, default=None, help="window length in bars")
    parser.add_argument("--units", type=int, default=None, help="units per recurrent layer")
    parser.add_argument("--layers", type=int, default=None, help="recurrent layers")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def config_from_args(args: argparse.Namespace) -> ModelConfig:
    changes: dict[str, Any] = {"kind": args.model, "target": args.target,
                               "horizon": args.horizon}
    for arg, field in (("epochs", "epochs"), ("window", "window_length"), ("units", "units"),
                       ("layers", "layers"), ("seed", "seed")):
        value = getattr(args, arg)
        if value is not None:
            changes[field] = value
    return ModelConfig(**changes)


def progress_printer(enabled: bool) -> Any:
    """An ``on_progress`` that writes one line per epoch to stderr (when not --json)."""
    started = time.perf_counter()

    def show(info: dict[str, Any]) -> None:
        if enabled:
            val = info["val_loss"]
            print(f"  [{time.perf_counter() - started:6.1f}s] {info['phase']} epoch "
                  f"{info['epoch']}/{info['epochs']} loss {info['loss']:.4f} val_loss "
                  f"{'-' if val is None else f'{val:.4f}'}", file=sys.stderr)

    return show


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_returns_table(report: dict[str, Any]) -> None:
    """Per horizon: the model's metrics beside the baselines', then coverage and verdict."""
    header = (f"{'h':>3} {'forecast':<15} {'MAE':>10} {'RMSE':>10} {'MAPE%':>7} {'R2':>8} "
              f"{'U':>6} {'DM p':>6} {'dir.acc [95% CI]':>22}")
    print(header)
    for h, entry in report["horizons"].items():
        rows = [("model", entry["model"])] + list(entry["baselines"].items())
        for name, m in rows:
            d = m["directional"]
            direction = "-" if d["accuracy"] is None else (
                f"{d['accuracy']:.3f} [{d['ci_low']:.3f},{d['ci_high']:.3f}]")
            dm = "" if name == "random_walk" else _fmt(m["dm_p_better"], 3)
            print(f"{h:>3} {name:<15} {_fmt(m['mae']):>10} {_fmt(m['rmse']):>10} "
                  f"{_fmt(m['mape'], 2):>7} {_fmt(m['r2']):>8} {_fmt(m['theil_u'], 3):>6} "
                  f"{dm:>6} {direction:>22}")
        bands = ", ".join(f"{float(level):.0%} band covers {c['coverage']:.1%}"
                          for level, c in entry["coverage"].items())
        print(f"{'':>3} {bands}; verdict: {entry['verdict']}")
    summary = report["summary"]
    print(f"overall: {summary['verdict']} (mean Theil's U {summary['mean_theil_u']:.3f}; "
          "skill needs U < 1 and a Diebold-Mariano test significant at 5% after Holm's "
          "correction across horizons)")


def print_volatility_table(report: dict[str, Any]) -> None:
    print(f"{'h':>3} {'forecast':<8} {'QLIKE':>8} {'MSE':>12} {'MSE log':>8}")
    for h, entry in report["horizons"].items():
        for name in ("model", "garch", "ewma"):
            m = entry[name]
            print(f"{h:>3} {name:<8} {m['qlike']:>8.4f} {m['mse']:>12.3e} {m['mse_log']:>8.4f}")
        dm = entry["dm_vs_garch_qlike"]
        print(f"{'':>3} DM vs GARCH (QLIKE) p={_fmt(dm['p_better'], 3)}; {entry['verdict']}")
    print(f"overall: {report['summary']['verdict']}")


def print_report(report: dict[str, Any]) -> None:
    if report.get("target") == "volatility":
        print_volatility_table(report)
    else:
        print_returns_table(report)
