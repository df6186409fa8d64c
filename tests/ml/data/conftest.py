"""Fixtures for the data layer: a MarketData on a tmp database, Yahoo replays, fixed clocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ml.data import MarketData
from ml.data.providers import YahooProvider
from ml.settings import CoreSettings
from tests.ml.data.yahoo_replay import ReplaySession


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> CoreSettings:
    return CoreSettings(var_dir=tmp_path / "var", database_url=sqlite_url)


@pytest.fixture
def market(engine: Engine, settings: CoreSettings) -> MarketData:
    """MarketData with the real providers (tests only use the offline ones through it)."""
    return MarketData(engine, settings=settings)


@pytest.fixture(autouse=True)
def _fresh_yfinance_state() -> Iterator[None]:
    """yfinance memoizes past-range responses process-wide; each test replays its own."""
    from yfinance.data import YfData

    YfData.cache_get.cache_clear()
    yield
    YfData.cache_get.cache_clear()


YahooFactory = Callable[..., tuple[MarketData, ReplaySession]]


@pytest.fixture
def yahoo(engine: Engine, settings: CoreSettings) -> YahooFactory:
    """``yahoo(recording, clock)``: MarketData whose Yahoo provider replays ``recording``."""

    def make(recording: str, clock: Clock, *, on: Engine | None = None
             ) -> tuple[MarketData, ReplaySession]:
        session = ReplaySession(recording)
        provider = YahooProvider(settings.var_dir, session=session)
        market = MarketData(on or engine, settings=settings, providers={"yahoo": provider},
                            clock=clock)
        return market, session

    return make
