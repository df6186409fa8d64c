"""Technical indicators: pure ``DataFrame -> DataFrame`` functions grouped by family.

``REGISTRY`` lists every indicator (``IndicatorSpec``: parameters with defaults and bounds,
outputs, overlay or own panel, value range); ``compute`` validates a call and runs it. The
family modules (overlays, oscillators, trend, volatility, volume, returns) hold the functions
themselves; they trust their arguments, ``compute`` does not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import pandas as pd

from ml.analytics.indicators.base import IndicatorSpec, Output, Param, ParamValue, validate_bars
from ml.analytics.indicators.registry import build_registry

logger = logging.getLogger(__name__)

REGISTRY: Mapping[str, IndicatorSpec] = build_registry()

Request = str | tuple[str, Mapping[str, object]]


def get_spec(name: str) -> IndicatorSpec:
    """The registry entry for ``name``; a ValueError lists the known names otherwise."""
    spec = REGISTRY.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ValueError(f"unknown indicator {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return spec


def compute(bars: pd.DataFrame, name: str, **params: object) -> pd.DataFrame:
    """Compute one indicator on ``bars``; columns named like ``rsi_14``, index = bars.index.

    Raises ValueError for an unknown name or parameter, a value out of bounds, missing or
    non-finite input columns, an unordered index, or fewer bars than the warm-up needs.
    Warm-up rows are NaN.
    """
    spec = get_spec(name)
    resolved = spec.resolve(params)
    validate_bars(bars, spec.inputs, positive=spec.positive_prices)
    return _run(spec, bars, resolved)


def compute_many(bars: pd.DataFrame, requests: Iterable[Request]) -> pd.DataFrame:
    """Several indicators side by side; each request is a name or ``(name, params)``.

    The bars are validated once for all requests (the columns any of them needs); requests
    that resolve to the same parameters are computed once.
    """
    plan: list[tuple[IndicatorSpec, dict[str, ParamValue]]] = []
    seen: set[tuple[str, tuple[tuple[str, ParamValue], ...]]] = set()
    for request in requests:
        name, params = (request, {}) if isinstance(request, str) else request
        spec = get_spec(name)
        resolved = spec.resolve(params)
        key = (spec.name, tuple(resolved.items()))
        if key not in seen:  # "rsi" and ("rsi", {"period": 14}) are the same columns
            seen.add(key)
            plan.append((spec, resolved))
    if not plan:
        raise ValueError("no indicators requested")
    inputs = tuple(dict.fromkeys(c for spec, _ in plan for c in spec.inputs))
    validate_bars(bars, inputs)
    for spec, _ in plan:
        if spec.positive_prices:
            validate_bars(bars, spec.inputs, positive=True)
    frames = [_run(spec, bars, params) for spec, params in plan]
    return pd.concat(frames, axis=1) if len(frames) > 1 else frames[0]


def parse_request(text: str) -> tuple[str, dict[str, ParamValue]]:
    """``"macd:fast=8:slow=21"`` -> ``("macd", {"fast": 8, "slow": 21})``, validated.

    The spelling the CLI and URLs use: a name, then ``:param=value`` pairs.
    """
    name, *pairs = text.strip().split(":")
    spec = get_spec(name.strip())
    known = {p.name: p for p in spec.params}
    params: dict[str, ParamValue] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise ValueError(f"{spec.name}: bad parameter {pair!r} in {text!r}; write "
                             f"name:param=value, allowed: {', '.join(known) or 'none'}")
        params[key] = known[key].parse(value.strip(), spec.name)
    spec.resolve(params)  # cross-parameter checks (macd fast < slow ...)
    return spec.name, params


def parse_requests(text: str) -> list[tuple[str, dict[str, ParamValue]]]:
    """Comma-separated requests: ``"rsi,macd:fast=8:slow=21,bbands"``."""
    items = [item for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError(f"no indicator names in {text!r}; known: {', '.join(sorted(REGISTRY))}")
    return [parse_request(item) for item in items]


def _run(spec: IndicatorSpec, bars: pd.DataFrame, params: dict[str, ParamValue]) -> pd.DataFrame:
    needed = spec.min_bars(params)
    if len(bars) < needed:
        raise ValueError(f"{spec.name} with {_describe(params)} needs at least {needed} bars "
                         f"for its warm-up; got {len(bars)}")
    result = spec.function(bars, **params)
    logger.debug("computed %s(%s) on %d bars", spec.name, _describe(params), len(bars))
    return result


def _describe(params: Mapping[str, ParamValue]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "no parameters"


__all__ = ["REGISTRY", "IndicatorSpec", "Output", "Param", "compute", "compute_many",
           "get_spec", "parse_request", "parse_requests"]
