"""What a refresh asks the provider for, given the fetch state (a pure function)."""

from __future__ import annotations

import pandas as pd

from ml.data.cache import FetchState
from ml.data.service import plan_fetches

HOUR = pd.Timedelta(hours=1)
T = pd.Timestamp("2024-03-01 00:00", tz="UTC")


def state(covered_from: pd.Timestamp, last_complete: pd.Timestamp | None,
          fetched_at: pd.Timestamp) -> FetchState:
    return FetchState("X", "1h", int(covered_from.timestamp()),
                      int(last_complete.timestamp()) if last_complete is not None else None,
                      fetched_at.to_pydatetime(), "yahoo")


def test_first_fetch_asks_for_the_request() -> None:
    assert plan_fetches(None, T, T + 10 * HOUR, HOUR, T + 20 * HOUR, False) == [
        (T, T + 10 * HOUR)]


def test_static_sources_are_fetched_once_whole() -> None:
    assert plan_fetches(None, T, None, HOUR, T, True) == [(None, None)]
    assert plan_fetches(state(T, T, T), T, None, HOUR, T + 99 * HOUR, True) == []


def test_resume_after_the_last_complete_bar_and_backfill_before_the_cache() -> None:
    now = T + 30 * HOUR
    current = state(T + 5 * HOUR, T + 20 * HOUR, T + 21 * HOUR)
    assert plan_fetches(current, T, now, HOUR, now, False) == [
        (T, T + 5 * HOUR), (T + 21 * HOUR, now)]
    # Even when the request starts later, the resume point stays where the cache stops.
    assert plan_fetches(current, T + 25 * HOUR, now, HOUR, now, False) == [
        (T + 21 * HOUR, now)]


def test_nothing_new_can_have_closed_or_just_fetched() -> None:
    current = state(T, T + 20 * HOUR, T + 21 * HOUR + pd.Timedelta(minutes=5))
    early = T + 21 * HOUR + pd.Timedelta(minutes=30)  # the 21:00 bar is still forming
    assert plan_fetches(current, T, early, HOUR, early, False) == []
    assert plan_fetches(current, T, early, HOUR, early, False, live=True) == [
        (T + 21 * HOUR, early)]
    daily = state(T, T, T + pd.Timedelta(days=3))
    just_after = T + pd.Timedelta(days=3, minutes=5)
    assert plan_fetches(daily, T, just_after, pd.Timedelta(days=1), just_after, False) == []


def test_a_resume_point_past_the_history_limit_starts_at_the_limit() -> None:
    now = T + pd.Timedelta(days=30)
    old = state(T, T + HOUR, T + 2 * HOUR)
    earliest = now - pd.Timedelta(days=7)
    plan = plan_fetches(old, earliest, now, pd.Timedelta(minutes=1), now, False,
                        earliest=earliest)
    assert plan == [(earliest, now)]
