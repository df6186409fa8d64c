"""The registry: one ``IndicatorSpec`` per indicator, built once and read-only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType

import pandas as pd

from ml.analytics.indicators import oscillators, overlays, returns, trend, volatility, volume
from ml.analytics.indicators.base import IndicatorSpec, Output, Param, ParamValue

logger = logging.getLogger(__name__)

MAX_PERIOD = 100_000  # TA-Lib's own upper bound for periods
HLC = ("high", "low", "close")
PERCENT = (0.0, 100.0)


def _period(default: int, minimum: int = 2, name: str = "period",
            description: str = "bars in the window") -> Param:
    return Param(name, default, minimum, MAX_PERIOD, description=description)


def _int(params: Mapping[str, ParamValue], name: str) -> int:
    return int(params[name])


def _check_macd(params: Mapping[str, ParamValue]) -> None:
    if _int(params, "fast") >= _int(params, "slow"):
        raise ValueError(f"macd: fast ({params['fast']}) must be shorter than slow "
                         f"({params['slow']})")


def _check_sar(params: Mapping[str, ParamValue]) -> None:
    if float(params["acceleration"]) > float(params["maximum"]):
        raise ValueError(f"sar: acceleration ({params['acceleration']}) must not exceed "
                         f"maximum ({params['maximum']})")


def _moving_average(name: str, label: str, function: Callable[..., pd.DataFrame],
                    description: str) -> IndicatorSpec:
    return IndicatorSpec(
        name=name, label=label, family="overlays", function=function,
        params=(_period(20, minimum=1),),
        outputs=(Output(name, label, "price", overlay=True),),
        inputs=("close",), overlay=True, value_range=None,
        warmup=lambda p: _int(p, "period") - 1, description=description)


def _overlays() -> list[IndicatorSpec]:
    return [
        _moving_average("sma", "SMA", overlays.sma, "Simple moving average of the close."),
        _moving_average("ema", "EMA", overlays.ema,
                        "Exponential moving average, seeded with the first SMA."),
        _moving_average("wma", "WMA", overlays.wma, "Linearly weighted moving average."),
    ]


def _oscillators() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            name="rsi", label="RSI", family="oscillators", function=oscillators.rsi,
            params=(_period(14),), outputs=(Output("rsi", "RSI", "bounded",
                                                   value_range=PERCENT),),
            inputs=("close",), overlay=False, value_range=PERCENT,
            warmup=lambda p: _int(p, "period"), description="Wilder's relative strength."),
        IndicatorSpec(
            name="macd", label="MACD", family="oscillators", function=oscillators.macd,
            params=(_period(12, name="fast", description="fast EMA period"),
                    _period(26, name="slow", description="slow EMA period"),
                    _period(9, minimum=1, name="signal", description="signal EMA period")),
            outputs=(Output("macd", "MACD", "price_change"),
                     Output("macd_signal", "Signal", "price_change"),
                     Output("macd_hist", "Histogram", "price_change")),
            inputs=("close",), overlay=False, value_range=None,
            warmup=lambda p: _int(p, "slow") - 1 + _int(p, "signal") - 1,
            check=_check_macd, description="Moving average convergence/divergence."),
        IndicatorSpec(
            name="stoch", label="Stochastic", family="oscillators", function=oscillators.stoch,
            params=(_period(14, minimum=1, name="k_period", description="raw %K window"),
                    _period(3, minimum=1, name="k_smooth", description="%K smoothing (SMA)"),
                    _period(3, minimum=1, name="d_period", description="%D period (SMA)")),
            outputs=(Output("stoch_k", "%K", "bounded", value_range=PERCENT),
                     Output("stoch_d", "%D", "bounded", value_range=PERCENT)),
            inputs=HLC, overlay=False, value_range=PERCENT,
            warmup=lambda p: (_int(p, "k_period") + _int(p, "k_smooth")
                              + _int(p, "d_period") - 3),
            description="Slow stochastic oscillator."),
        IndicatorSpec(
            name="cci", label="CCI", family="oscillators", function=oscillators.cci,
            params=(_period(20),), outputs=(Output("cci", "CCI", "ratio"),),
            inputs=HLC, overlay=False, value_range=None,
            warmup=lambda p: _int(p, "period") - 1, description="Commodity Channel Index."),
        IndicatorSpec(
            name="willr", label="Williams %R", family="oscillators", function=oscillators.willr,
            params=(_period(14),),
            outputs=(Output("willr", "%R", "bounded", value_range=(-100.0, 0.0)),),
            inputs=HLC, overlay=False, value_range=(-100.0, 0.0),
            warmup=lambda p: _int(p, "period") - 1,
            description="Close within the period's high-low range."),
        IndicatorSpec(
            name="roc", label="Rate of change", family="oscillators", function=oscillators.roc,
            params=(_period(10, minimum=1),), outputs=(Output("roc", "ROC %", "ratio"),),
            inputs=("close",), overlay=False, value_range=None,
            warmup=lambda p: _int(p, "period"), description="Percent change over the period."),
    ]


def _trend() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            name="adx", label="ADX", family="trend", function=trend.adx,
            params=(_period(14),),
            outputs=(Output("adx", "ADX", "bounded", value_range=PERCENT),
                     Output("plus_di", "+DI", "bounded", value_range=PERCENT),
                     Output("minus_di", "-DI", "bounded", value_range=PERCENT)),
            inputs=HLC, overlay=False, value_range=PERCENT,
            warmup=lambda p: 2 * _int(p, "period") - 1,
            description="Average directional index with +DI and -DI."),
        IndicatorSpec(
            name="sar", label="Parabolic SAR", family="trend", function=trend.sar,
            params=(Param("acceleration", 0.02, 0.001, 1.0, description="step of the factor"),
                    Param("maximum", 0.2, 0.001, 1.0, description="cap of the factor")),
            outputs=(Output("sar", "SAR", "price", overlay=True),),
            inputs=("high", "low"), overlay=True, value_range=None, warmup=lambda p: 1,
            check=_check_sar, description="Wilder's stop-and-reverse points."),
        IndicatorSpec(
            name="ichimoku", label="Ichimoku", family="trend", function=trend.ichimoku,
            params=(_period(9, name="tenkan", description="conversion line window"),
                    _period(26, name="kijun", description="base line window"),
                    _period(52, name="senkou", description="leading span B window"),
                    Param("displacement", 26, 0, MAX_PERIOD,
                          description="bars the leading spans move forward and chikou back")),
            outputs=(Output("ichimoku_tenkan", "Tenkan-sen", "price", overlay=True),
                     Output("ichimoku_kijun", "Kijun-sen", "price", overlay=True),
                     Output("ichimoku_senkou_a", "Senkou span A", "price", overlay=True),
                     Output("ichimoku_senkou_b", "Senkou span B", "price", overlay=True),
                     Output("ichimoku_chikou", "Chikou span", "price", overlay=True,
                            uses_future=True)),
            inputs=HLC, overlay=True, value_range=None,
            warmup=lambda p: (max(_int(p, "tenkan"), _int(p, "kijun"), _int(p, "senkou")) - 1
                              + _int(p, "displacement")),
            description="Ichimoku cloud; spans past the last bar are dropped, chikou looks "
                        "ahead by construction."),
    ]


def _volatility() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            name="bbands", label="Bollinger Bands", family="volatility",
            function=volatility.bbands,
            params=(_period(20), Param("stddev", 2.0, 0.1, 10.0,
                                       description="band width in standard deviations")),
            outputs=(Output("bb_upper", "Upper band", "price", overlay=True),
                     Output("bb_middle", "Middle band", "price", overlay=True),
                     Output("bb_lower", "Lower band", "price", overlay=True),
                     Output("bb_pctb", "%b", "ratio"),
                     Output("bb_bandwidth", "Bandwidth", "ratio")),
            inputs=("close",), overlay=True, value_range=None,
            warmup=lambda p: _int(p, "period") - 1,
            description="Bands around the SMA; %b and bandwidth belong in their own panel."),
        IndicatorSpec(
            name="atr", label="ATR", family="volatility", function=volatility.atr,
            params=(_period(14, minimum=1),), outputs=(Output("atr", "ATR", "price_change"),),
            inputs=HLC, overlay=False, value_range=None,
            warmup=lambda p: _int(p, "period"), description="Average true range."),
        IndicatorSpec(
            name="volatility", label="Rolling volatility", family="volatility",
            function=volatility.volatility,
            params=(_period(20, name="window", description="log returns in the window"),),
            outputs=(Output("volatility", "Volatility", "ratio"),),
            inputs=("close",), overlay=False, value_range=None,
            warmup=lambda p: _int(p, "window"), positive_prices=True,
            description="Sample standard deviation of log returns, per bar."),
    ]


def _volume() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            name="obv", label="OBV", family="volume", function=volume.obv, params=(),
            outputs=(Output("obv", "OBV", "volume"),), inputs=("close", "volume"),
            overlay=False, value_range=None, warmup=lambda p: 0,
            description="On-balance volume."),
        IndicatorSpec(
            name="mfi", label="MFI", family="volume", function=volume.mfi,
            params=(_period(14),), outputs=(Output("mfi", "MFI", "bounded",
                                                   value_range=PERCENT),),
            inputs=(*HLC, "volume"), overlay=False, value_range=PERCENT,
            warmup=lambda p: _int(p, "period"), description="Money Flow Index."),
        IndicatorSpec(
            name="vwap", label="VWAP", family="volume", function=volume.vwap,
            params=(Param("anchor", "auto", choices=volume.VWAP_ANCHORS,
                          description="session: reset each UTC day; cumulative: never; auto: "
                                      "session for intraday bars"),),
            outputs=(Output("vwap", "VWAP", "price", overlay=True),),
            inputs=(*HLC, "volume"), overlay=True, value_range=None, warmup=lambda p: 0,
            description="Volume-weighted average price."),
    ]


def _returns() -> list[IndicatorSpec]:
    return [
        IndicatorSpec(
            name="log_return", label="Log return", family="returns",
            function=returns.log_return, params=(_period(1, minimum=1),),
            outputs=(Output("log_return", "Log return", "ratio"),), inputs=("close",),
            overlay=False, value_range=None, warmup=lambda p: _int(p, "period"),
            positive_prices=True, description="ln(close / close period bars ago)."),
        IndicatorSpec(
            name="simple_return", label="Simple return", family="returns",
            function=returns.simple_return, params=(_period(1, minimum=1),),
            outputs=(Output("simple_return", "Return", "ratio"),), inputs=("close",),
            overlay=False, value_range=None, warmup=lambda p: _int(p, "period"),
            positive_prices=True, description="close / close period bars ago - 1."),
    ]


def build_registry() -> Mapping[str, IndicatorSpec]:
    """Every indicator by name, read-only (a module global the app never mutates)."""
    specs = [*_overlays(), *_oscillators(), *_trend(), *_volatility(), *_volume(), *_returns()]
    registry = {spec.name: spec for spec in specs}
    if len(registry) != len(specs):
        raise RuntimeError("duplicate indicator names in the registry")
    return MappingProxyType(registry)
