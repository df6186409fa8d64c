"""Every indicator against a second implementation on real sample data, with stated tolerances.

References: the pure-pandas ``ta`` package where its definition is the same, plain NumPy or
pandas recurrences where it is not (or where ``ta`` is broken under pandas 3, as its PSAR is).

Tolerances (relative to the value's magnitude):
* same algorithm, same seeding: 1e-9 (observed 1e-11 .. 1e-16: summation order only)
* exponential/Wilder recurrences that ``ta`` seeds differently (EMA, RSI, MACD, ATR, ADX,
  +DI/-DI): compared from bar 300 on, where the seed's weight (at most (13/14)^270 ~ 2e-9 for
  RSI(14)) has decayed, at 1e-6; the TA-Lib seeding itself is checked exactly (1e-9) against
  NumPy recurrences written here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from ml.analytics.indicators import compute

ta = pytest.importorskip("ta")

SETTLED = 300  # bars after which differently seeded recurrences agree
TIGHT = 1e-9
SEEDED = 1e-6


def agree(ours: pd.Series | np.ndarray, reference: pd.Series | np.ndarray, rtol: float,
          start: int = 0) -> None:
    """Values agree where the reference is defined (from ``start``); ours is defined there."""
    a = np.asarray(ours, dtype=float)[start:]
    b = np.asarray(reference, dtype=float)[start:]
    defined = ~np.isnan(b)
    assert defined.sum() > 100, "too few reference values to compare"
    assert not np.isnan(a[defined]).any(), "ours is NaN where the reference has a value"
    scale = np.maximum(np.abs(b[defined]), 1.0)
    err = np.abs(a[defined] - b[defined]) / scale
    assert err.max() <= rtol, f"max scaled error {err.max():.3g} > {rtol:g}"


@pytest.fixture(autouse=True)
def _quiet_ta() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)


@pytest.fixture(params=["sp500", "goog"])
def bars(request: pytest.FixtureRequest) -> pd.DataFrame:
    return request.getfixturevalue(request.param)


def ema_talib_style(values: np.ndarray, period: int, seed_end: int | None = None) -> np.ndarray:
    """EMA seeded with the SMA of the ``period`` values ending at ``seed_end``."""
    seed_end = period - 1 if seed_end is None else seed_end
    out = np.full(len(values), np.nan)
    out[seed_end] = values[seed_end - period + 1:seed_end + 1].mean()
    alpha = 2.0 / (period + 1)
    for t in range(seed_end + 1, len(values)):
        out[t] = alpha * values[t] + (1 - alpha) * out[t - 1]
    return out


def wilder_rsi(close: np.ndarray, period: int) -> np.ndarray:
    change = np.diff(close)
    gain, loss = np.maximum(change, 0), np.maximum(-change, 0)
    out = np.full(len(close), np.nan)
    avg_gain, avg_loss = gain[:period].mean(), loss[:period].mean()
    out[period] = 100 * avg_gain / (avg_gain + avg_loss)
    for t in range(period + 1, len(close)):
        avg_gain = (avg_gain * (period - 1) + gain[t - 1]) / period
        avg_loss = (avg_loss * (period - 1) + loss[t - 1]) / period
        out[t] = 100 * avg_gain / (avg_gain + avg_loss)
    return out


def test_moving_averages(bars: pd.DataFrame) -> None:
    close = bars["close"]
    agree(compute(bars, "sma")["sma_20"], ta.trend.SMAIndicator(close, 20).sma_indicator(),
          TIGHT)
    agree(compute(bars, "wma")["wma_20"], ta.trend.WMAIndicator(close, 20).wma(), TIGHT)
    ema = compute(bars, "ema")["ema_20"]
    agree(ema, ema_talib_style(close.to_numpy(), 20), TIGHT)
    # ta seeds with the first close (pandas ewm adjust=False): equal once the seed decayed
    agree(ema, ta.trend.EMAIndicator(close, 20).ema_indicator(), SEEDED, start=SETTLED)


def test_rsi(bars: pd.DataFrame) -> None:
    ours = compute(bars, "rsi")["rsi_14"]
    agree(ours, wilder_rsi(bars["close"].to_numpy(), 14), TIGHT)
    agree(ours, ta.momentum.RSIIndicator(bars["close"], 14).rsi(), SEEDED, start=SETTLED)


def test_macd(bars: pd.DataFrame) -> None:
    close = bars["close"].to_numpy()
    out = compute(bars, "macd")
    # TA-Lib: both EMAs start at bar 25; the signal EMA(9) is seeded at bar 33
    line = ema_talib_style(close, 12, seed_end=25) - ema_talib_style(close, 26)
    signal = np.full(len(close), np.nan)
    signal[25:] = ema_talib_style(line[25:], 9)
    line[:33] = np.nan
    agree(out["macd_12_26_9"], line, TIGHT)
    agree(out["macd_signal_12_26_9"], signal, TIGHT)
    agree(out["macd_hist_12_26_9"], line - signal, TIGHT)
    reference = ta.trend.MACD(bars["close"])
    agree(out["macd_12_26_9"], reference.macd(), SEEDED, start=SETTLED)
    agree(out["macd_signal_12_26_9"], reference.macd_signal(), SEEDED, start=SETTLED)
    agree(out["macd_hist_12_26_9"], reference.macd_diff(), SEEDED, start=SETTLED)


def test_stochastic(bars: pd.DataFrame) -> None:
    out = compute(bars, "stoch")
    # TA-Lib's slow %K(14, 3) is ta's stoch_signal(), not stoch() (that is the raw %K)
    slow_k = ta.momentum.StochasticOscillator(bars["high"], bars["low"], bars["close"], 14,
                                              3).stoch_signal()
    slow_d = slow_k.rolling(3).mean()
    # ta emits %K from bar 15 (with partial windows before); TA-Lib emits %K and %D together
    # from bar 17, where %D's window is full
    slow_k.iloc[:17] = np.nan
    agree(out["stoch_k_14_3_3"], slow_k, TIGHT)
    agree(out["stoch_d_14_3_3"], slow_d, TIGHT)
    assert out.iloc[:17].isna().all().all()


def test_bollinger(bars: pd.DataFrame) -> None:
    out = compute(bars, "bbands")
    reference = ta.volatility.BollingerBands(bars["close"], 20, 2)
    agree(out["bb_upper_20_2"], reference.bollinger_hband(), TIGHT)
    agree(out["bb_middle_20_2"], reference.bollinger_mavg(), TIGHT)
    agree(out["bb_lower_20_2"], reference.bollinger_lband(), TIGHT)
    agree(out["bb_pctb_20_2"], reference.bollinger_pband(), TIGHT)
    agree(out["bb_bandwidth_20_2"], reference.bollinger_wband() / 100, TIGHT)  # ta: percent


def test_atr(bars: pd.DataFrame) -> None:
    high, low, close = (bars[c].to_numpy() for c in ("high", "low", "close"))
    true_range = np.maximum.reduce([high[1:] - low[1:], np.abs(high[1:] - close[:-1]),
                                    np.abs(low[1:] - close[:-1])])
    wilder = np.full(len(close), np.nan)
    wilder[14] = true_range[:14].mean()
    for t in range(15, len(close)):
        wilder[t] = (wilder[t - 1] * 13 + true_range[t - 1]) / 14
    ours = compute(bars, "atr")["atr_14"]
    agree(ours, wilder, TIGHT)
    reference = ta.volatility.AverageTrueRange(bars["high"], bars["low"], bars["close"], 14)
    agree(ours, reference.average_true_range(), SEEDED, start=SETTLED)


def test_obv(bars: pd.DataFrame) -> None:
    close, volume = bars["close"].to_numpy(), bars["volume"].to_numpy()
    # ta adds the volume on unchanged closes; TA-Lib (and Granville) do not, and the S&P
    # sample has unchanged closes, so the reference is this NumPy recurrence.
    reference = volume[0] + np.concatenate([[0.0], np.cumsum(np.sign(np.diff(close))
                                                             * volume[1:])])
    agree(compute(bars, "obv")["obv"], reference, TIGHT)


def test_adx(bars: pd.DataFrame) -> None:
    out = compute(bars, "adx")
    reference = ta.trend.ADXIndicator(bars["high"], bars["low"], bars["close"], 14)
    agree(out["adx_14"], reference.adx(), SEEDED, start=SETTLED)
    agree(out["plus_di_14"], reference.adx_pos(), SEEDED, start=SETTLED)
    agree(out["minus_di_14"], reference.adx_neg(), SEEDED, start=SETTLED)


def test_cci_mfi_willr_roc(bars: pd.DataFrame) -> None:
    high, low, close, volume = (bars[c] for c in ("high", "low", "close", "volume"))
    agree(compute(bars, "cci")["cci_20"], ta.trend.CCIIndicator(high, low, close, 20).cci(),
          TIGHT)
    mfi = ta.volume.MFIIndicator(high, low, close, volume, 14).money_flow_index()
    mfi.iloc[:14] = np.nan  # ta emits one partial-window value
    agree(compute(bars, "mfi")["mfi_14"], mfi, TIGHT)
    agree(compute(bars, "willr")["willr_14"],
          ta.momentum.WilliamsRIndicator(high, low, close, 14).williams_r(), TIGHT)
    agree(compute(bars, "roc")["roc_10"], ta.momentum.ROCIndicator(close, 10).roc(), TIGHT)


def parabolic_sar(high: np.ndarray, low: np.ndarray, step: float, cap: float) -> np.ndarray:
    """Wilder's SAR as a plain loop (initial direction from bar 1's directional movement)."""
    out = np.full(len(high), np.nan)
    is_long = not (low[0] - low[1] > 0 and low[0] - low[1] > high[1] - high[0])
    ep, sar = (high[1], low[0]) if is_long else (low[1], high[0])
    af = step
    for t in range(1, len(high)):
        prev_high, prev_low = (high[1], low[1]) if t == 1 else (high[t - 1], low[t - 1])
        if is_long and low[t] <= sar or not is_long and high[t] >= sar:
            is_long = not is_long
            sar = (max(ep, prev_high, high[t]) if not is_long else min(ep, prev_low, low[t]))
            out[t] = sar
            af, ep = step, (low[t] if not is_long else high[t])
            sar = sar + af * (ep - sar)
        else:
            out[t] = sar
            if is_long and high[t] > ep or not is_long and low[t] < ep:
                ep, af = (high[t] if is_long else low[t]), min(af + step, cap)
            sar = sar + af * (ep - sar)
        sar = (max(sar, prev_high, high[t]) if not is_long else min(sar, prev_low, low[t]))
    return out


@pytest.mark.parametrize(("step", "cap"), [(0.02, 0.2), (0.03, 0.25)])
def test_parabolic_sar(bars: pd.DataFrame, step: float, cap: float) -> None:
    reference = parabolic_sar(bars["high"].to_numpy(), bars["low"].to_numpy(), step, cap)
    agree(compute(bars, "sar", acceleration=step, maximum=cap)[f"sar_{step:g}_{cap:g}"],
          reference, TIGHT)


def test_ichimoku(bars: pd.DataFrame) -> None:
    high, low, close = bars["high"], bars["low"], bars["close"]
    out = compute(bars, "ichimoku")
    reference = ta.trend.IchimokuIndicator(high, low, 9, 26, 52, visual=False)
    sfx = "9_26_52_26"
    agree(out[f"ichimoku_tenkan_{sfx}"], reference.ichimoku_conversion_line(), TIGHT)
    agree(out[f"ichimoku_kijun_{sfx}"], reference.ichimoku_base_line(), TIGHT)
    agree(out[f"ichimoku_senkou_a_{sfx}"], reference.ichimoku_a().shift(26), TIGHT)
    # ta fills span B's warm-up with partial windows; compare with full 52-bar windows
    span_b = ((high.rolling(52).max() + low.rolling(52).min()) / 2).shift(26)
    agree(out[f"ichimoku_senkou_b_{sfx}"], span_b, TIGHT)
    assert out[f"ichimoku_senkou_b_{sfx}"].iloc[:77].isna().all()
    agree(out[f"ichimoku_chikou_{sfx}"], close.shift(-26), TIGHT)


def test_vwap_session_against_groupby(eurusd: pd.DataFrame) -> None:
    typical = (eurusd["high"] + eurusd["low"] + eurusd["close"]) / 3
    day = eurusd.index.floor("D")
    reference = ((typical * eurusd["volume"]).groupby(day).cumsum()
                 / eurusd["volume"].groupby(day).cumsum())
    agree(compute(eurusd, "vwap")["vwap_auto"], reference, TIGHT)
    assert eurusd.index.floor("D").nunique() > 200  # many sessions, many resets


def test_vwap_cumulative_for_daily(bars: pd.DataFrame) -> None:
    typical = (bars["high"] + bars["low"] + bars["close"]) / 3
    reference = (typical * bars["volume"]).cumsum() / bars["volume"].cumsum()
    agree(compute(bars, "vwap")["vwap_auto"], reference, TIGHT)


def test_returns_and_volatility(bars: pd.DataFrame) -> None:
    close = bars["close"]
    agree(compute(bars, "log_return")["log_return_1"], np.log(close).diff(), TIGHT)
    agree(compute(bars, "simple_return", period=5)["simple_return_5"], close.pct_change(5),
          TIGHT)
    agree(compute(bars, "roc")["roc_10"], 100 * close.pct_change(10), TIGHT)
    agree(compute(bars, "volatility")["volatility_20"],
          np.log(close).diff().rolling(20).std(ddof=1), TIGHT)
