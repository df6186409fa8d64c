"""Indicator tokens in URLs: canonical, validated against the registry, forgiving of junk."""

from __future__ import annotations

import pytest

from webapp.components.indicator_choice import (
    MAX_INDICATORS,
    make_choice,
    parse_token,
    parse_tokens,
    registry_options,
)


def test_token_round_trip_and_defaults() -> None:
    choice = parse_token("bbands:period=30")
    assert choice.token == "bbands:period=30:stddev=2"
    assert parse_token(choice.token) == choice
    assert choice.label == "BB(30, 2)"
    assert parse_token("OBV").token == "obv"


def test_bad_values_name_the_problem() -> None:
    with pytest.raises(ValueError, match="period"):
        parse_token("rsi:period=1")
    with pytest.raises(ValueError, match="unknown indicator"):
        parse_token("nope")
    with pytest.raises(ValueError, match="bad parameter"):
        parse_token("rsi:length=14")


def test_url_list_keeps_good_tokens_and_reports_bad_ones() -> None:
    choices, problems = parse_tokens("rsi:period=14,bogus,rsi:period=14,sma")
    assert [c.token for c in choices] == ["rsi:period=14", "sma:period=20"]
    assert len(problems) == 1 and "bogus" in problems[0]
    many = ",".join(f"sma:period={n}" for n in range(2, 4 + MAX_INDICATORS))
    choices, problems = parse_tokens(many)
    assert len(choices) == MAX_INDICATORS and problems


def test_registry_options_list_overlays_first() -> None:
    options = registry_options()
    kinds = ["on price" in str(o["label"]) for o in options]
    assert kinds == sorted(kinds, reverse=True)
    assert make_choice("sar").overlay and not make_choice("rsi").overlay
