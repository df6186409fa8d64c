"""What the pages read, through the web cache: bars, indicators and the Market figure.

Keys depend on the data itself: bars are cached for a short time per refresh period (so a
live symbol is re-read from the data layer, which fetches new bars, at most once per period)
and for static sources until their data generation changes (a CSV re-import bumps it); every
figure or indicator key includes the bars' first and last timestamp and row count, so new
bars give new keys and nothing ever has to be invalidated by hand.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.analytics import compute
from ml.data import BarsResult, load_bars
from ml.data.intervals import interval_seconds
from webapp import services
from webapp.cache import cached_value, current_cache, make_key
from webapp.components.arrays import encode_arrays
from webapp.components.indicator_choice import IndicatorChoice
from webapp.components.market_chart import ForecastBands, MarketFigure, build_market_figure

logger = logging.getLogger(__name__)

# The symbol a page opens with when the address names none: bundled, so it works offline.
DEFAULT_SYMBOL = "sample:SPX"

STATIC_PREFIXES = ("sample:", "csv:")
STATIC_TTL_S = 3600
# A live symbol is re-read at most this often (and never more than once per bar).
LIVE_TTL_S = 60


@dataclass
class LoadedBars:
    """A load plus when it happened, so the age shown keeps growing while it sits in cache."""

    result: BarsResult
    loaded_at: float

    @property
    def bars(self) -> pd.DataFrame:
        return self.result.bars

    @property
    def version(self) -> tuple[str, str, int]:
        """Identifies the data: a new bar or a re-import changes it."""
        bars = self.result.bars
        return (str(bars.index[0]), str(bars.index[-1]), len(bars))

    def age_s(self) -> float | None:
        base = self.result.meta.cache_age_s
        if base is None:
            return None
        return base + max(0.0, time.time() - self.loaded_at)


def is_static(symbol: str) -> bool:
    return symbol.strip().lower().startswith(STATIC_PREFIXES)


def refresh_period_s(symbol: str, interval: str) -> int:
    if is_static(symbol):
        return STATIC_TTL_S
    return min(LIVE_TTL_S, interval_seconds(interval))


def data_generation(symbol: str) -> int:
    """A counter bumped when a symbol's data is replaced (CSV re-import)."""
    cache = current_cache()
    if cache is None:
        return 0
    try:
        return int(cache.get(make_key("gen", symbol.strip().lower())) or 0)
    except Exception as error:  # noqa: BLE001 - a cache failure means generation unknown
        logger.warning("cache read failed for the generation of %s: %s", symbol, error)
        return 0


def bump_data_generation(symbol: str) -> None:
    cache = current_cache()
    if cache is None:
        return
    key = make_key("gen", symbol.strip().lower())
    try:
        cache.set(key, data_generation(symbol) + 1, timeout=0)
    except Exception as error:  # noqa: BLE001
        logger.warning("cache write failed for the generation of %s: %s", symbol, error)


def get_bars(symbol: str, interval: str) -> LoadedBars:
    """Bars through the cache; data-layer errors (``DataError``) propagate to the caller."""
    period = refresh_period_s(symbol, interval)
    bucket = int(time.time() // period)
    key = make_key("bars", symbol.strip(), interval, bucket, data_generation(symbol))

    def load() -> LoadedBars:
        result = load_bars(symbol, interval, engine=services.database())
        return LoadedBars(result, time.time())

    return cached_value(key, load, timeout=period)


def get_indicator(loaded: LoadedBars, choice: IndicatorChoice) -> pd.DataFrame:
    key = make_key("ind", loaded.result.meta.symbol, loaded.result.meta.interval,
                   loaded.version, choice.token)
    return cached_value(key, lambda: compute(loaded.bars, choice.name, **choice.param_dict))


def get_market_figure(loaded: LoadedBars, choices: list[IndicatorChoice],
                      forecast: ForecastBands | None = None,
                      forecast_version: str = "") -> tuple[MarketFigure, list[str]]:
    """The Market figure (arrays already encoded for the browser) and one message per
    indicator that could not be computed."""
    meta = loaded.result.meta
    key = make_key("marketfig", meta.symbol, meta.interval, loaded.version,
                   tuple(c.token for c in choices), forecast_version)

    def build() -> tuple[MarketFigure, list[str]]:
        computed: list[tuple[IndicatorChoice, pd.DataFrame]] = []
        problems: list[str] = []
        for choice in choices:
            try:
                computed.append((choice, get_indicator(loaded, choice)))
            except ValueError as error:
                problems.append(f"{choice.label}: {error}")
        market = build_market_figure(loaded.bars, computed, forecast)
        return MarketFigure(encode_arrays(market.figure), market.plan), problems

    return cached_value(key, build)


def summary(loaded: LoadedBars) -> dict[str, Any]:
    meta = loaded.result.meta
    return {"symbol": meta.symbol, "interval": meta.interval, "source": meta.source,
            "rows": meta.rows, "first": meta.first, "last": meta.last,
            "age_s": loaded.age_s(), "asset_class": meta.asset_class,
            "currency": meta.currency, "name": meta.name}


def get_forecast(symbol: str, interval: str, asset_class: str
                 ) -> tuple[ForecastBands | None, dict[str, Any] | None]:
    """The stored forecast (made by a worker) as price bands, when one exists for prices."""
    from ml.forecast import latest_forecast

    try:
        payload = latest_forecast(services.database(), symbol, interval,
                                  services.redis_client())
    except Exception as error:  # noqa: BLE001 - a missing forecast must not break the chart
        logger.warning("reading the stored forecast of %s %s failed: %s", symbol, interval,
                       error)
        return None, None
    if not payload or payload.get("target") != "returns" or not payload.get("prices"):
        return None, payload
    bands = payload.get("bands") or {}
    b80, b95 = bands.get("0.8"), bands.get("0.95")
    if not b80 or not b95:
        return None, payload
    origin = pd.Timestamp(payload["origin"])
    steps = future_index(origin, interval, asset_class, len(payload["prices"]))
    return ForecastBands(steps, np.asarray(payload["prices"]), np.asarray(b80["lower"]),
                         np.asarray(b80["upper"]), np.asarray(b95["lower"]),
                         np.asarray(b95["upper"]),
                         label=f"Forecast (model v{payload.get('model_version_id', '?')})"
                         ), payload


def future_index(origin: pd.Timestamp, interval: str, asset_class: str,
                 steps: int) -> pd.DatetimeIndex:
    """Labels of the next ``steps`` bars: business days for daily stock-like bars."""
    if origin.tzinfo is None:
        origin = origin.tz_localize("UTC")
    if interval == "1d" and asset_class in {"stock", "index", "commodity", "forex"}:
        return pd.bdate_range(origin.normalize() + pd.Timedelta(days=1), periods=steps)
    step = pd.Timedelta(seconds=interval_seconds(interval))
    return pd.DatetimeIndex([origin + step * (h + 1) for h in range(steps)])
