"""Which (symbol, interval) pairs beat keeps fresh: every active model's pair, every symbol on
a user's watchlist at the watch intervals (``app_settings`` key ``jobs.watch_intervals``,
default daily), and extra pairs an admin lists under ``jobs.watchlist``.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from ml.app_settings import read_setting
from ml.db import schema

logger = logging.getLogger(__name__)

WATCH_INTERVALS_KEY = "jobs.watch_intervals"
EXTRA_PAIRS_KEY = "jobs.watchlist"
DEFAULT_WATCH_INTERVALS = ("1d",)


def watched_pairs(engine: Engine) -> list[tuple[str, str, bool]]:
    """(symbol, interval, has an active model), sorted, each pair once."""
    with engine.connect() as connection:
        modelled = {(r.symbol, r.interval) for r in connection.execute(
            select(schema.active_models.c.symbol, schema.active_models.c.interval))}
        intervals = read_setting(connection, WATCH_INTERVALS_KEY) or list(DEFAULT_WATCH_INTERVALS)
        pairs = set(modelled)
        for symbol in _user_symbols(connection):
            pairs.update((symbol, interval) for interval in intervals)
        for item in read_setting(connection, EXTRA_PAIRS_KEY) or []:
            if isinstance(item, list | tuple) and len(item) == 2:
                pairs.add((str(item[0]), str(item[1])))
    return [(s, i, (s, i) in modelled) for s, i in sorted(pairs)]


def _user_symbols(connection: Any) -> set[str]:
    try:
        return {row[0] for row in connection.execute(
            select(schema.watchlists.c.symbol).distinct())}
    except SQLAlchemyError as error:
        logger.warning("cannot read watchlists: %s", error)
        return set()
