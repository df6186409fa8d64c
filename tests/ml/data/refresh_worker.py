"""A child process that refreshes one symbol through the real data layer (for race tests).

Lives in its own module so ``multiprocessing``'s spawn start method can import it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


def refresh(db_url: str, var_dir: str, recording: str, symbol: str, start: str, now: str,
            barrier: Any, results: Any) -> None:
    from ml.data import MarketData
    from ml.data.providers import YahooProvider
    from ml.db import make_engine
    from ml.settings import CoreSettings
    from tests.ml.data.yahoo_replay import ReplaySession

    engine = make_engine(db_url)
    clock_now = dt.datetime.fromisoformat(now)
    provider = YahooProvider(Path(var_dir), session=ReplaySession(recording))
    market = MarketData(engine, settings=CoreSettings(var_dir=Path(var_dir),
                                                      database_url=db_url),
                        providers={"yahoo": provider}, clock=lambda: clock_now)
    barrier.wait(timeout=120)
    try:
        result = market.load(symbol, "1d", start=start)
        results.put((now, len(result.bars), None))
    except Exception as error:  # noqa: BLE001 - reported to the parent test
        results.put((now, -1, repr(error)))
    finally:
        engine.dispose()
