"""The bars cache in the database: fast range reads, idempotent upserts, fetch state.

Timestamps are stored as integer epoch seconds (UTC bar labels). Writes that belong together
(bars, fetch state, symbol) go in one ``write_transaction``; upserts make concurrent writers of
the same bars harmless, and the fetch state only ever moves forward (coverage grows, the last
complete bar never goes back), whichever writer commits last.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ml.data.frame import COLUMNS, empty_bars
from ml.data.symbols import SymbolInfo
from ml.db.schema import bars as bars_table, fetch_state, symbols

logger = logging.getLogger(__name__)

FULL_HISTORY_TS = -(2**62)  # covered_from_ts meaning "from the first bar the source has"
_ROW_DTYPE = np.dtype([("ts", "i8"), ("open", "f8"), ("high", "f8"), ("low", "f8"),
                       ("close", "f8"), ("volume", "f8")])
_READ_SQL = ("SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = {p} AND "
             "interval = {p} AND ts >= {p} AND ts < {p} ORDER BY ts")
UPSERT_CHUNK = 5_000


@dataclass(frozen=True)
class FetchState:
    symbol: str
    interval: str
    covered_from_ts: int | None
    last_complete_ts: int | None
    fetched_at: dt.datetime
    source: str


def to_epoch(timestamp: pd.Timestamp | None, default: int) -> int:
    if timestamp is None:
        return default
    return int(pd.Timestamp(timestamp).value // 1_000_000_000)


def read_bars(engine: Engine, symbol: str, interval: str, start: pd.Timestamp | None = None,
              end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Cached bars with ``start <= label < end`` as a bars frame (ascending, unique)."""
    params = (symbol, interval, to_epoch(start, -(2**62)), to_epoch(end, 2**62))
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        if connection.dialect.name == "sqlite":
            cursor = raw.execute(_READ_SQL.format(p="?"), params)
        else:
            cursor = raw.cursor()
            cursor.execute(_READ_SQL.format(p="%s"), params)
        # np.fromiter consumes rows straight into typed columns: no list of tuples.
        rows = np.fromiter(cursor, dtype=_ROW_DTYPE)
        cursor.close()
    if rows.size == 0:
        return empty_bars()
    index = pd.DatetimeIndex(pd.to_datetime(rows["ts"], unit="s", utc=True), name="timestamp")
    return pd.DataFrame({c: rows[c] for c in COLUMNS}, index=index.as_unit("ns"))


def count_bars(engine: Engine, symbol: str, interval: str, start: pd.Timestamp | None = None,
               end: pd.Timestamp | None = None) -> int:
    query = select(func.count()).select_from(bars_table).where(and_(
        bars_table.c.symbol == symbol, bars_table.c.interval == interval,
        bars_table.c.ts >= to_epoch(start, -(2**62)), bars_table.c.ts < to_epoch(end, 2**62)))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _insert_for(connection: Connection, table: Any) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {connection.dialect.name!r}: "
                     "use SQLite or PostgreSQL")


def _rows(symbol: str, interval: str, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    stamps = (frame.index.asi8 // _ticks_per_second(frame.index)).tolist()
    columns = [frame[c].to_numpy(np.float64).tolist() for c in COLUMNS]
    return [(symbol, interval, ts, *values) for ts, *values in zip(stamps, *columns,
                                                                   strict=True)]


def _ticks_per_second(index: pd.DatetimeIndex) -> int:
    return {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[index.unit]


def upsert_bars(connection: Connection, symbol: str, interval: str,
                frame: pd.DataFrame) -> int:
    """Insert or overwrite bars on (symbol, interval, ts); returns rows written.

    One ``INSERT ... ON CONFLICT DO UPDATE`` executed for many rows through the driver (the
    same SQL on SQLite and PostgreSQL), which is several times faster than building an
    SQLAlchemy statement per row.
    """
    if frame.empty:
        return 0
    if connection.dialect.name not in {"sqlite", "postgresql"}:
        raise ValueError(f"unsupported database dialect {connection.dialect.name!r}: "
                         "use SQLite or PostgreSQL")
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO bars (symbol, interval, ts, {', '.join(COLUMNS)}) "
           f"VALUES ({', '.join([mark] * (3 + len(COLUMNS)))}) "
           "ON CONFLICT (symbol, interval, ts) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS))
    rows = _rows(symbol, interval, frame)
    for begin in range(0, len(rows), UPSERT_CHUNK):
        connection.exec_driver_sql(sql, rows[begin:begin + UPSERT_CHUNK])
    return len(rows)


def delete_bars(connection: Connection, symbol: str, interval: str | None = None) -> None:
    condition = bars_table.c.symbol == symbol
    if interval is not None:
        condition = and_(condition, bars_table.c.interval == interval)
    connection.execute(bars_table.delete().where(condition))


def get_state(engine_or_connection: Engine | Connection, symbol: str,
              interval: str) -> FetchState | None:
    query = select(fetch_state).where(and_(fetch_state.c.symbol == symbol,
                                           fetch_state.c.interval == interval))
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            row = connection.execute(query).mappings().first()
    else:
        row = engine_or_connection.execute(query).mappings().first()
    if row is None:
        return None
    fetched_at = row["fetched_at"]
    if fetched_at.tzinfo is None:  # SQLite hands back naive datetimes; we stored UTC
        fetched_at = fetched_at.replace(tzinfo=dt.UTC)
    return FetchState(row["symbol"], row["interval"], row["covered_from_ts"],
                      row["last_complete_ts"], fetched_at, row["source"])


def _lesser(connection: Connection, a: Any, b: Any) -> Any:
    pick = func.least if connection.dialect.name == "postgresql" else func.min
    return case((a.is_(None), b), (b.is_(None), a), else_=pick(a, b))


def _greater(connection: Connection, a: Any, b: Any) -> Any:
    pick = func.greatest if connection.dialect.name == "postgresql" else func.max
    return case((a.is_(None), b), (b.is_(None), a), else_=pick(a, b))


def advance_state(connection: Connection, *, symbol: str, interval: str,
                  covered_from_ts: int | None, last_complete_ts: int | None,
                  fetched_at: dt.datetime, source: str) -> None:
    """Record a fetch: coverage only grows and the last complete bar only moves forward."""
    stmt = _insert_for(connection, fetch_state).values(
        symbol=symbol, interval=interval, covered_from_ts=covered_from_ts,
        last_complete_ts=last_complete_ts, fetched_at=fetched_at, source=source)
    current = fetch_state.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["symbol", "interval"],
        set_={
            "covered_from_ts": _lesser(connection, current.covered_from_ts,
                                       stmt.excluded.covered_from_ts),
            "last_complete_ts": _greater(connection, current.last_complete_ts,
                                         stmt.excluded.last_complete_ts),
            "fetched_at": _greater(connection, current.fetched_at, stmt.excluded.fetched_at),
            "source": stmt.excluded.source,
        })
    connection.execute(stmt)


def delete_state(connection: Connection, symbol: str) -> None:
    connection.execute(fetch_state.delete().where(fetch_state.c.symbol == symbol))


def save_symbol(connection: Connection, info: SymbolInfo, now: dt.datetime) -> None:
    """Insert or update what we know of a symbol; provider metadata beats a spelling guess."""
    values = {"symbol": info.symbol, "provider": info.provider,
              "asset_class": info.asset_class, "currency": info.currency, "name": info.name,
              "exchange_timezone": info.exchange_timezone,
              "metadata_source": info.metadata_source, "created_at": now, "updated_at": now}
    stmt = _insert_for(connection, symbols).values(**values)
    if info.metadata_source == "spelling":
        stmt = stmt.on_conflict_do_nothing(index_elements=["symbol"])
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=["symbol"],
            set_={k: stmt.excluded[k] for k in values if k not in {"symbol", "created_at"}})
    connection.execute(stmt)


def load_symbol(engine: Engine, symbol: str) -> SymbolInfo | None:
    with engine.connect() as connection:
        row = connection.execute(select(symbols).where(symbols.c.symbol == symbol)
                                 ).mappings().first()
    if row is None:
        return None
    return SymbolInfo(symbol=row["symbol"], provider=row["provider"],
                      asset_class=row["asset_class"], currency=row["currency"],
                      name=row["name"], exchange_timezone=row["exchange_timezone"],
                      metadata_source=row["metadata_source"])
