"""Every indicator on a few bars, against numbers worked out by hand (arithmetic in comments).

Six bars are enough to see each formula, its seeding and its warm-up. Tolerance: 1e-9 (the
hand values are exact fractions or carried to 10 digits).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml.analytics.indicators import compute

NAN = math.nan
TOL = 1e-9


@pytest.fixture
def six() -> pd.DataFrame:
    """i: high low close volume
    0: 10  8  9    100 | 1: 11  9 10   200 | 2: 12 10 11   150
    3: 11  9  9.5  300 | 4: 13 10 12   250 | 5: 14 12 13   100
    """
    index = pd.date_range("2024-01-01", periods=6, freq="1D", tz="UTC", name="timestamp")
    return pd.DataFrame({
        "open": [9.0, 9.0, 10.0, 11.0, 9.5, 12.0],
        "high": [10.0, 11.0, 12.0, 11.0, 13.0, 14.0],
        "low": [8.0, 9.0, 10.0, 9.0, 10.0, 12.0],
        "close": [9.0, 10.0, 11.0, 9.5, 12.0, 13.0],
        "volume": [100.0, 200.0, 150.0, 300.0, 250.0, 100.0],
    }, index=index)


def check(frame: pd.DataFrame, column: str, expected: list[float]) -> None:
    assert column in frame.columns, f"{column} not in {list(frame.columns)}"
    np.testing.assert_allclose(frame[column].to_numpy(), expected, rtol=0, atol=TOL)


def test_sma(six: pd.DataFrame) -> None:
    # (9+10+11)/3, (10+11+9.5)/3, (11+9.5+12)/3, (9.5+12+13)/3
    check(compute(six, "sma", period=3), "sma_3", [NAN, NAN, 10, 30.5 / 3, 32.5 / 3, 11.5])


def test_ema(six: pd.DataFrame) -> None:
    # alpha = 2/(3+1) = 0.5; seed = SMA of the first 3 closes = 10
    # 0.5*9.5 + 0.5*10 = 9.75; 0.5*12 + 0.5*9.75 = 10.875; 0.5*13 + 0.5*10.875 = 11.9375
    check(compute(six, "ema", period=3), "ema_3", [NAN, NAN, 10, 9.75, 10.875, 11.9375])


def test_wma(six: pd.DataFrame) -> None:
    # weights 1, 2, 3 (newest heaviest) / 6
    # (9+20+33)/6, (10+22+28.5)/6, (11+19+36)/6, (9.5+24+39)/6
    check(compute(six, "wma", period=3), "wma_3",
          [NAN, NAN, 62 / 6, 60.5 / 6, 11, 72.5 / 6])


def test_rsi(six: pd.DataFrame) -> None:
    # changes: +1, +1, -1.5, +2.5, +1. Seed with the plain mean of the first 2 changes:
    # gain 1, loss 0 -> RSI 100. Then Wilder: avg = (avg*(n-1) + x)/n with n = 2.
    # bar 3: gain (1+0)/2 = 0.5, loss (0+1.5)/2 = 0.75 -> 100*0.5/1.25 = 40
    # bar 4: gain (0.5+2.5)/2 = 1.5, loss 0.375 -> 100*1.5/1.875 = 80
    # bar 5: gain (1.5+1)/2 = 1.25, loss 0.1875 -> 100*1.25/1.4375
    check(compute(six, "rsi", period=2), "rsi_2", [NAN, NAN, 100, 40, 80, 125 / 1.4375])


def test_macd_seeds_both_emas_at_the_slow_start(six: pd.DataFrame) -> None:
    # slow EMA(3), alpha 1/2, seeded at bar 2 with mean(9, 10, 11) = 10;
    # fast EMA(2), alpha 2/3, seeded at bar 2 too, with mean(10, 11) = 10.5 (TA-Lib's rule).
    # bar 3: fast 2/3*9.5 + 1/3*10.5 = 59/6, slow 39/4 -> line 1/12
    # bar 4: fast 8 + 59/18 = 203/18, slow 87/8 -> line 29/72
    # bar 5: fast 26/3 + 203/54 = 671/54, slow 191/16 -> line 211/432
    # signal EMA(2) seeded at bar 3 with mean(1/2, 1/12) = 7/24;
    # bar 4: 2/3*29/72 + 1/3*7/24 = 79/216; bar 5: 2/3*211/432 + 1/3*79/216 = 580/1296
    out = compute(six, "macd", fast=2, slow=3, signal=2)
    check(out, "macd_2_3_2", [NAN, NAN, NAN, 1 / 12, 29 / 72, 211 / 432])
    check(out, "macd_signal_2_3_2", [NAN, NAN, NAN, 7 / 24, 79 / 216, 580 / 1296])
    check(out, "macd_hist_2_3_2", [NAN, NAN, NAN, -5 / 24, 1 / 27, 53 / 1296])


def test_stoch(six: pd.DataFrame) -> None:
    # raw %K(3) = 100*(C - LL)/(HH - LL): bar 2: 100*(11-8)/(12-8) = 75;
    # bar 3: 100*(9.5-9)/(12-9) = 50/3; bar 4: 100*(12-9)/(13-9) = 75; bar 5: 100*4/5 = 80
    # slow %K = SMA(2): bar 4: (50/3+75)/2 = 275/6; bar 5: (75+80)/2 = 77.5
    # %D = SMA(2) of slow %K: bar 4: (275/6 + 275/6)/2; bar 5: (275/6 + 77.5)/2 = 185/3
    out = compute(six, "stoch", k_period=3, k_smooth=2, d_period=2)
    check(out, "stoch_k_3_2_2", [NAN, NAN, NAN, NAN, 275 / 6, 77.5])
    check(out, "stoch_d_3_2_2", [NAN, NAN, NAN, NAN, 275 / 6, 185 / 3])


def test_bbands(six: pd.DataFrame) -> None:
    # bar 2: closes 9, 10, 11: mean 10, population sd sqrt(2/3)
    # bar 3: closes 10, 11, 9.5: mean 61/6, deviations -1/6, 5/6, -4/6 -> var 42/108 = 7/18
    sd2, sd3 = math.sqrt(2 / 3), math.sqrt(7 / 18)
    out = compute(six, "bbands", period=3, stddev=2.0)
    check(out.iloc[:4], "bb_upper_3_2", [NAN, NAN, 10 + 2 * sd2, 61 / 6 + 2 * sd3])
    check(out.iloc[:4], "bb_middle_3_2", [NAN, NAN, 10, 61 / 6])
    check(out.iloc[:4], "bb_lower_3_2", [NAN, NAN, 10 - 2 * sd2, 61 / 6 - 2 * sd3])
    # %b = (close - lower)/(upper - lower); bandwidth = (upper - lower)/middle
    check(out.iloc[:4], "bb_pctb_3_2",
          [NAN, NAN, (11 - 10 + 2 * sd2) / (4 * sd2), (9.5 - 61 / 6 + 2 * sd3) / (4 * sd3)])
    check(out.iloc[:4], "bb_bandwidth_3_2", [NAN, NAN, 4 * sd2 / 10, 4 * sd3 / (61 / 6)])


def test_bbands_flat_window_gives_nan_percent_b() -> None:
    index = pd.date_range("2024-01-01", periods=4, freq="1D", tz="UTC")
    flat = pd.DataFrame({"close": [5.0, 5.0, 5.0, 6.0]}, index=index)
    out = compute(flat, "bbands", period=3)
    # bar 2: zero width -> %b undefined (NaN), bandwidth 0; bar 3 has width again
    assert np.isnan(out["bb_pctb_3_2"].iloc[2])
    assert out["bb_bandwidth_3_2"].iloc[2] == 0.0
    assert np.isfinite(out["bb_pctb_3_2"].iloc[3])


def test_atr(six: pd.DataFrame) -> None:
    # true range = max(H-L, |H-prevC|, |L-prevC|): bar1 2, bar2 2, bar3 max(2, 0, 2) = 2,
    # bar4 max(3, 3.5, 0.5) = 3.5, bar5 max(2, 2, 0) = 2. Seed bar 2: mean(2, 2) = 2;
    # Wilder (n=2): bar3 (2+2)/2 = 2, bar4 (2+3.5)/2 = 2.75, bar5 (2.75+2)/2 = 2.375
    check(compute(six, "atr", period=2), "atr_2", [NAN, NAN, 2, 2, 2.75, 2.375])


def test_obv_counts_ties_as_no_change() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="1D", tz="UTC")
    bars = pd.DataFrame({"close": [10.0, 11.0, 11.0, 10.0, 12.0],
                         "volume": [100.0, 200.0, 300.0, 400.0, 500.0]}, index=index)
    # 100 (first volume), +200 up, tie, -400 down, +500 up
    check(compute(bars, "obv"), "obv", [100, 300, 300, -100, 400])


def test_adx_and_directional_indicators(six: pd.DataFrame) -> None:
    # +DM, -DM, TR per bar 1..5: (1,0,2) (1,0,2) (0,1,2) (2,0,3.5) (1,0,2)
    # Wilder sums with n=2 start from bar 1's value, then S = S - S/2 + x:
    # +S: bar2 1/2+1 = 1.5, bar3 0.75, bar4 0.375+2 = 2.375, bar5 1.1875+1 = 2.1875
    # -S: bar2 0, bar3 1, bar4 0.5, bar5 0.25
    # TR: bar2 3, bar3 1.5+2 = 3.5, bar4 1.75+3.5 = 5.25, bar5 2.625+2 = 4.625
    out = compute(six, "adx", period=2)
    check(out, "plus_di_2", [NAN, NAN, 50, 75 / 3.5, 237.5 / 5.25, 218.75 / 4.625])
    check(out, "minus_di_2", [NAN, NAN, 0, 100 / 3.5, 50 / 5.25, 25 / 4.625])
    # DX = 100|+S - -S|/(+S + -S): bar2 100, bar3 25/1.75, bar4 187.5/2.875, bar5 193.75/2.4375
    # ADX: mean of the first 2 DX at bar 3, then (ADX + DX)/2
    dx3, dx4, dx5 = 25 / 1.75, 187.5 / 2.875, 193.75 / 2.4375
    adx3 = (100 + dx3) / 2
    adx4 = (adx3 + dx4) / 2
    check(out, "adx_2", [NAN, NAN, NAN, adx3, adx4, (adx4 + dx5) / 2])


def test_cci(six: pd.DataFrame) -> None:
    # typical prices: 9, 10, 11, 59/6, 35/3, 13
    # bar 2: mean 10, mean |dev| 2/3 -> (11-10)/(0.015*2/3) = 100
    # bar 3: mean 185/18, |devs| 5/18, 13/18, 8/18 -> MD 13/27 -> (-8/18)/(0.015*13/27)
    # bar 4: mean 65/6, |devs| 1/6, 1, 5/6 -> MD 2/3 -> (5/6)/0.01
    # bar 5: mean 11.5, |devs| 10/6, 1/6, 9/6 -> MD 10/9 -> 1.5/(0.015*10/9) = 90
    check(compute(six, "cci", period=3), "cci_3",
          [NAN, NAN, 100, (-8 / 18) / (0.015 * 13 / 27), 250 / 3, 90])


def test_mfi(six: pd.DataFrame) -> None:
    # money flow = typical price * volume: bar1 2000 (up), bar2 1650 (up), bar3 2950 (down),
    # bar4 35/3*250 (up), bar5 1300 (up). MFI(2) = 100 * up flow / all flow over 2 bars.
    up4 = 35 / 3 * 250
    check(compute(six, "mfi", period=2), "mfi_2",
          [NAN, NAN, 100, 100 * 1650 / 4600, 100 * up4 / (up4 + 2950), 100])


def test_willr(six: pd.DataFrame) -> None:
    # -100*(HH - C)/(HH - LL): bar2 -100*1/4, bar3 -100*2.5/3, bar4 -100*1/4, bar5 -100*1/5
    check(compute(six, "willr", period=3), "willr_3", [NAN, NAN, -25, -250 / 3, -25, -20])


def test_roc(six: pd.DataFrame) -> None:
    # 100*(C/C[-2] - 1): 11/9, 9.5/10, 12/11, 13/9.5
    check(compute(six, "roc", period=2), "roc_2",
          [NAN, NAN, 200 / 9, -5, 100 / 11, 350 / 9.5])


def test_parabolic_sar_rises_then_reverses() -> None:
    index = pd.date_range("2024-01-01", periods=7, freq="1D", tz="UTC")
    bars = pd.DataFrame({"high": [10, 11, 12, 11, 13, 14, 12.5],
                         "low": [8, 9, 10, 9, 10, 12, 8.5]}, index=index, dtype=float)
    # +DM(bar1) = 1 > -DM = 0 -> start long, SAR = low[0] = 8, EP = high[1] = 11, AF 0.02
    # bar1: 8;            next 8 + 0.02*(11-8) = 8.06
    # bar2: 8.06;         new high 12: EP 12, AF 0.04 -> 8.06 + 0.04*3.94 = 8.2176
    # bar3: 8.2176;       -> 8.2176 + 0.04*3.7824 = 8.368896
    # bar4: 8.368896;     new high 13: AF 0.06 -> 8.368896 + 0.06*4.631104 = 8.64676224
    # bar5: 8.64676224;   new high 14: AF 0.08 -> 8.64676224 + 0.08*5.35323776
    # bar6: low 8.5 <= SAR: reverse to short at the extreme point, max(EP 14, highs) = 14
    check(compute(bars, "sar"), "sar_0.02_0.2",
          [NAN, 8, 8.06, 8.2176, 8.368896, 8.64676224, 14])


def test_vwap_resets_each_utc_day_for_intraday_bars() -> None:
    index = pd.DatetimeIndex(["2024-01-01 22:00", "2024-01-01 23:00", "2024-01-02 00:00",
                              "2024-01-02 01:00"], tz="UTC")
    bars = pd.DataFrame({"high": [11, 12, 21, 22], "low": [9, 10, 19, 20],
                         "close": [10, 11, 20, 21], "volume": [1, 3, 2, 2]},
                        index=index, dtype=float)
    # typical prices 10, 11, 20, 21. Day 1: 10, (10*1 + 11*3)/4 = 10.75. Day 2 restarts:
    # 20, (20*2 + 21*2)/4 = 20.5
    check(compute(bars, "vwap"), "vwap_auto", [10, 10.75, 20, 20.5])
    check(compute(bars, "vwap", anchor="session"), "vwap_session", [10, 10.75, 20, 20.5])
    # cumulative: (10 + 33 + 40)/6, (83 + 42)/8
    check(compute(bars, "vwap", anchor="cumulative"), "vwap_cumulative",
          [10, 10.75, 83 / 6, 125 / 8])


def test_vwap_is_cumulative_for_daily_bars_and_nan_without_volume() -> None:
    index = pd.date_range("2024-01-01", periods=4, freq="1D", tz="UTC")
    bars = pd.DataFrame({"high": [11, 12, 13, 14], "low": [9, 10, 11, 12],
                         "close": [10, 11, 12, 13], "volume": [0, 0, 2, 2]},
                        index=index, dtype=float)
    # no volume yet on days 1-2: undefined; then (12*2)/2 = 12, (24 + 26)/4 = 12.5
    check(compute(bars, "vwap"), "vwap_auto", [NAN, NAN, 12, 12.5])


def test_ichimoku_shifts(six: pd.DataFrame) -> None:
    out = compute(six, "ichimoku", tenkan=2, kijun=3, senkou=4, displacement=2)
    sfx = "2_3_4_2"
    # tenkan = (2-bar high + 2-bar low)/2: (11+8)/2, (12+9)/2, (12+9)/2, (13+9)/2, (14+10)/2
    check(out, f"ichimoku_tenkan_{sfx}", [NAN, 9.5, 10.5, 10.5, 11, 12])
    # kijun over 3 bars: (12+8)/2, (12+9)/2, (13+9)/2, (14+9)/2
    check(out, f"ichimoku_kijun_{sfx}", [NAN, NAN, 10, 10.5, 11, 11.5])
    # span A computed at bars 2..5 = 10.25, 10.5, 11, 11.75, placed 2 bars later; the spans
    # computed at bars 4 and 5 belong to bars 6 and 7, which do not exist: dropped.
    check(out, f"ichimoku_senkou_a_{sfx}", [NAN, NAN, NAN, NAN, 10.25, 10.5])
    # span B (4 bars) computed at bar 3 = (12+8)/2 = 10 lands on bar 5
    check(out, f"ichimoku_senkou_b_{sfx}", [NAN, NAN, NAN, NAN, NAN, 10])
    # chikou at bar t = close of bar t+2
    check(out, f"ichimoku_chikou_{sfx}", [11, 9.5, 12, 13, NAN, NAN])


def test_ichimoku_without_displacement_gives_the_projection(six: pd.DataFrame) -> None:
    out = compute(six, "ichimoku", tenkan=2, kijun=3, senkou=4, displacement=0)
    # the unshifted spans: what the chart draws ahead of the last bar
    check(out, "ichimoku_senkou_a_2_3_4_0", [NAN, NAN, 10.25, 10.5, 11, 11.75])
    check(out, "ichimoku_senkou_b_2_3_4_0", [NAN, NAN, NAN, 10, 11, 11.5])


def test_returns_and_volatility() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="1D", tz="UTC")
    log_returns = [0.1, 0.2, -0.3, 0.4]
    bars = pd.DataFrame({"close": 100 * np.exp(np.cumsum([0.0, *log_returns]))}, index=index)
    check(compute(bars, "log_return"), "log_return_1", [NAN, *log_returns])
    check(compute(bars, "log_return", period=2), "log_return_2", [NAN, NAN, 0.3, -0.1, 0.1])
    check(compute(bars, "simple_return"), "simple_return_1",
          [NAN, *(math.exp(r) - 1 for r in log_returns)])
    # window 3: bar 3 returns 0.1, 0.2, -0.3: mean 0, sum of squares 0.14, /2 -> sqrt(0.07);
    # bar 4 returns 0.2, -0.3, 0.4: mean 0.1, squared deviations 0.01+0.16+0.09 -> sqrt(0.13)
    check(compute(bars, "volatility", window=3), "volatility_3",
          [NAN, NAN, NAN, math.sqrt(0.07), math.sqrt(0.13)])
