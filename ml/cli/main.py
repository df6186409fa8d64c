"""Argument parsing and dispatch; commands are discovered from the modules of ``ml.cli``."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

import ml.cli
from ml.json_values import json_safe
from ml.settings import SettingsError

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description="Foresight domain tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(ml.cli.__path__), key=lambda m: m.name):
        if module_info.name in {"main", "common"} or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"ml.cli.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def print_json(payload: Any) -> None:
    """Print one JSON object; timestamps and numpy scalars become strings and numbers."""
    print(json.dumps(json_safe(payload), default=str, indent=2, allow_nan=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except (CliError, SettingsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
