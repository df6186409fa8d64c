"""``python -m ml db upgrade``: apply migrations to the configured database."""

from __future__ import annotations

import argparse

from ml.settings import CoreSettings, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database maintenance")
    parser.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ml.db import make_engine, upgrade_to_head  # Alembic: only this command needs it

    settings = load_settings(CoreSettings)
    engine = make_engine(settings.resolved_database_url())
    upgrade_to_head(engine)
    print(f"database at {engine.url.render_as_string()} is up to date")
    return 0
