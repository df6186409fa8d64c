"""The bars cache: exact round trips, idempotent upserts, forward-only fetch state, and
concurrent refreshes by real processes on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ml.data import cache
from ml.db import write_transaction
from tests.conftest import make_ohlcv
from tests.ml.data.refresh_worker import refresh


def test_round_trip_is_exact_and_upsert_is_idempotent(any_engine: Engine) -> None:
    bars = make_ohlcv(500, seed=9, freq="1h").set_axis(
        make_ohlcv(500, seed=9, freq="1h").index.as_unit("ns"))
    for _ in range(2):
        with write_transaction(any_engine) as connection:
            cache.upsert_bars(connection, "X", "1h", bars)
    assert cache.count_bars(any_engine, "X", "1h") == 500
    read = cache.read_bars(any_engine, "X", "1h")
    pd.testing.assert_frame_equal(read, bars, check_freq=False)
    window = cache.read_bars(any_engine, "X", "1h", bars.index[10], bars.index[20])
    assert window.index[0] == bars.index[10] and len(window) == 10


def test_upsert_overwrites_a_revised_bar(any_engine: Engine) -> None:
    bars = make_ohlcv(5, seed=1).set_axis(make_ohlcv(5, seed=1).index.as_unit("ns"))
    revised = bars.iloc[[2]].copy()
    revised["close"] = 123.0
    with write_transaction(any_engine) as connection:
        cache.upsert_bars(connection, "X", "1d", bars)
        cache.upsert_bars(connection, "X", "1d", revised)
    read = cache.read_bars(any_engine, "X", "1d")
    assert len(read) == 5 and read["close"].iloc[2] == 123.0


def test_fetch_state_only_moves_forward(any_engine: Engine) -> None:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    steps = [(1000, 5000, base + dt.timedelta(hours=2)),
             (2000, 4000, base + dt.timedelta(hours=1)),  # an older, narrower writer lands last
             (500, None, base)]
    for covered_from, last_complete, fetched_at in steps:
        with write_transaction(any_engine) as connection:
            cache.advance_state(connection, symbol="X", interval="1h",
                                covered_from_ts=covered_from, last_complete_ts=last_complete,
                                fetched_at=fetched_at, source="yahoo")
    state = cache.get_state(any_engine, "X", "1h")
    assert state is not None
    assert (state.covered_from_ts, state.last_complete_ts) == (500, 5000)
    assert state.fetched_at == base + dt.timedelta(hours=2)


@pytest.mark.slow
def test_concurrent_refreshes_neither_duplicate_nor_lose_bars(any_engine: Engine,
                                                              tmp_path: Path) -> None:
    """Three processes refresh GOOG at once; two see a later clock than the third."""
    url = any_engine.url.render_as_string(hide_password=False)
    # A fork server imports the heavy modules once and forks clean children from itself
    # (forking pytest itself could inherit other tests' threads).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ml.data", "yfinance", "tests.ml.data.refresh_worker"])
    barrier = context.Barrier(3)
    results = context.Queue()
    clocks = ["2013-02-01T00:00:00+00:00", "2013-03-04T12:00:00+00:00",
              "2013-03-04T12:00:00+00:00"]
    processes = [context.Process(target=refresh, args=(url, str(tmp_path / "var"),
                                                      "stock_goog_1d", "GOOG", "2013-01-01",
                                                      now, barrier, results))
                 for now in clocks]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert [error for _, _, error in outcomes] == [None, None, None]
    # The early clock's process sees 21 complete bars, or 41 if the others stored theirs
    # before it read; the later clocks see all 41.
    assert outcomes[0][1] in {21, 41} and [rows for _, rows, _ in outcomes[1:]] == [41, 41]
    assert cache.count_bars(any_engine, "GOOG", "1d") == 41
    bars = cache.read_bars(any_engine, "GOOG", "1d")
    assert bars.index.is_unique and bars.index[-1] == pd.Timestamp("2013-03-01", tz="UTC")
    state = cache.get_state(any_engine, "GOOG", "1d")
    assert state is not None
    assert pd.Timestamp(state.last_complete_ts, unit="s", tz="UTC") == bars.index[-1]
