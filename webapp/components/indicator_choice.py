"""Indicator choices as short tokens (``rsi:period=14``) for URLs, dropdowns and cache keys.

A token names a registry entry and the parameters that differ from its defaults; parsing
validates against ``ml.analytics.indicators.REGISTRY`` so a hand-edited URL cannot reach ``compute``
with a bad value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ml.analytics import REGISTRY, IndicatorSpec, get_spec

logger = logging.getLogger(__name__)

MAX_INDICATORS = 8
# Legend-sized names where the registry label is long.
SHORT_NAMES = {"bbands": "BB", "ichimoku": "Ichimoku", "volatility": "Vol",
               "log_return": "LogRet", "simple_return": "Return", "stoch": "Stoch"}


@dataclass(frozen=True)
class IndicatorChoice:
    """One indicator with resolved (validated, defaults filled) parameters."""

    name: str
    params: tuple[tuple[str, int | float | str], ...]

    @property
    def spec(self) -> IndicatorSpec:
        return get_spec(self.name)

    @property
    def param_dict(self) -> dict[str, int | float | str]:
        return dict(self.params)

    @property
    def token(self) -> str:
        """Canonical token: the name, then every parameter (so equal choices compare equal)."""
        parts = [self.name, *(f"{k}={_fmt(v)}" for k, v in self.params)]
        return ":".join(parts)

    @property
    def label(self) -> str:
        values = ", ".join(_fmt(v) for _, v in self.params)
        short = SHORT_NAMES.get(self.name) or (
            self.name.upper() if len(self.name) <= 5 else self.spec.label)
        return f"{short}({values})" if values else short

    @property
    def overlay(self) -> bool:
        return self.spec.overlay


def _fmt(value: int | float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def make_choice(name: str, params: Mapping[str, object] | None = None) -> IndicatorChoice:
    """Validate ``name`` and ``params`` against the registry (ValueError names the bad one)."""
    spec = get_spec(name)
    resolved = spec.resolve(dict(params or {}))
    return IndicatorChoice(spec.name, tuple((p.name, resolved[p.name]) for p in spec.params))


def parse_token(token: str) -> IndicatorChoice:
    """``"bbands:period=20:stddev=2"`` -> IndicatorChoice; missing parameters take defaults."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError(f"empty indicator token {token!r}")
    name, *pairs = token.strip().split(":")
    spec = get_spec(name.strip().lower())
    known = {p.name: p for p in spec.params}
    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in known:
            raise ValueError(f"{spec.name}: bad parameter {pair!r} in {token!r}; allowed: "
                             f"{', '.join(known) or 'none'}")
        params[key] = known[key].parse(text, spec.name)
    return make_choice(spec.name, params)


def parse_tokens(tokens: Iterable[str] | str | None) -> tuple[list[IndicatorChoice], list[str]]:
    """Parse many tokens (a list, or one comma-separated string from a URL).

    Returns the valid choices (duplicates dropped, at most ``MAX_INDICATORS``) and one message
    per token that was rejected, so a bad shared URL still opens with what it could read.
    """
    if tokens is None:
        return [], []
    items = tokens.split(",") if isinstance(tokens, str) else list(tokens)
    choices: list[IndicatorChoice] = []
    problems: list[str] = []
    for item in items:
        if not str(item).strip():
            continue
        try:
            choice = parse_token(str(item))
        except ValueError as error:
            problems.append(str(error))
            continue
        if choice not in choices:
            choices.append(choice)
    if len(choices) > MAX_INDICATORS:
        problems.append(f"at most {MAX_INDICATORS} indicators at once; kept the first "
                        f"{MAX_INDICATORS}")
        choices = choices[:MAX_INDICATORS]
    return choices, problems


def registry_options() -> list[dict[str, object]]:
    """Dropdown options for every chartable indicator: overlays first, then panels."""
    def sort_key(spec: IndicatorSpec) -> tuple[bool, str]:
        return (not spec.overlay, spec.label)

    return [{"label": f"{spec.label} ({'on price' if spec.overlay else 'own panel'})",
             "value": spec.name}
            for spec in sorted(REGISTRY.values(), key=sort_key)]
