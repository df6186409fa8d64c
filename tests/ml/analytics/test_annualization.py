"""Bars per year per asset class and interval: the rule table, worked out by hand."""

from __future__ import annotations

import pytest

from ml.analytics.annualization import (
    ASSET_CLASSES,
    SUPPORTED_INTERVALS,
    bars_per_day,
    periods_per_year,
)


@pytest.mark.parametrize(("asset_class", "interval", "expected"), [
    ("stock", "1d", 252), ("index", "1d", 252), ("commodity", "1d", 252),
    ("crypto", "1d", 365), ("forex", "1d", 260),
    *((cls, "1wk", 52) for cls in ("stock", "index", "commodity", "crypto", "forex")),
    # US session 6.5 h: 7 hourly bars (the last a half hour), 13 of 30 min, 390 of 1 min,
    # 2 of 4 h (4 h + 2.5 h)
    ("stock", "1h", 252 * 7), ("stock", "30m", 252 * 13), ("stock", "15m", 252 * 26),
    ("stock", "5m", 252 * 78), ("stock", "1m", 252 * 390), ("stock", "4h", 252 * 2),
    ("index", "1h", 252 * 7),
    ("commodity", "1h", 252 * 23),
    ("crypto", "1h", 365 * 24), ("crypto", "4h", 365 * 6), ("crypto", "1m", 365 * 1440),
    ("forex", "1h", 260 * 24), ("forex", "4h", 260 * 6), ("forex", "15m", 260 * 96),
])
def test_periods_per_year(asset_class: str, interval: str, expected: float) -> None:
    assert periods_per_year(asset_class, interval) == expected
    assert isinstance(periods_per_year(asset_class, interval), float)


def test_bars_per_day() -> None:
    assert bars_per_day("stock", "1h") == 7
    assert bars_per_day("crypto", "5m") == 288
    assert bars_per_day("forex", "1d") == 1
    with pytest.raises(ValueError, match="coarser than a day"):
        bars_per_day("stock", "1wk")


def test_every_class_and_interval_is_covered() -> None:
    for asset_class in ASSET_CLASSES:
        for interval in SUPPORTED_INTERVALS:
            assert periods_per_year(asset_class, interval) > 0


def test_matches_the_data_layers_intervals() -> None:
    data = pytest.importorskip("ml.data")
    assert set(data.INTERVALS) == set(SUPPORTED_INTERVALS)


@pytest.mark.parametrize(("asset_class", "interval", "message"), [
    ("bond", "1d", r"unknown asset class 'bond'; expected one of stock, index, commodity"),
    ("Stock", "1d", r"unknown asset class 'Stock'"),
    ("stock", "2h", r"unknown interval '2h'; expected one of 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1wk"),
    ("stock", None, r"unknown interval None"),
])
def test_bad_inputs_are_named(asset_class: object, interval: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        periods_per_year(asset_class, interval)  # type: ignore[arg-type]
