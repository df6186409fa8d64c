"""``python -m ml indicators`` and ``python -m ml risk`` end to end, through the real data layer
(sample provider, CSV import, SQLite cache in tmp_path), called in-process via ``main``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.analytics.indicators import REGISTRY
from ml.cli.main import main


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORESIGHT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'foresight.db'}")
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def fail(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def crypto_csv(tmp_path: Path) -> Path:
    """A year of daily BTC-like bars written the way CryptoDataDownload does (banner line)."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2021-01-01", periods=400, freq="1D")
    close = 30_000 * np.exp(np.cumsum(rng.normal(0.001, 0.04, len(days))))
    open_ = np.concatenate([[30_000.0], close[:-1]])
    lines = ["Created by a test,https://example.invalid",
             "date,symbol,open,high,low,close,volume"]
    for day, o, c in zip(days, open_, close, strict=True):
        lines.append(f"{day:%Y-%m-%d},BTCUSD,{o:.2f},{max(o, c) * 1.01:.2f},"
                     f"{min(o, c) * 0.99:.2f},{c:.2f},{rng.uniform(1e6, 5e6):.2f}")
    path = tmp_path / "btc_daily.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_list_prints_the_registry(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "--list"]) == 0
    text = capsys.readouterr().out
    for name in REGISTRY:
        assert f"\n{name} " in text
    assert "rsi            oscillators  own panel  0..100   period=14 [2, 100000]" in text
    listed = run_json(capsys, "indicators", "--list")
    assert isinstance(listed, list) and len(listed) == len(REGISTRY)


def test_indicators_latest_values_on_sample_spx(var_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(capsys, "indicators", "sample:SPX", "--interval", "1d", "--names",
                       "rsi,macd:fast=8:slow=21,bbands", "--tail", "3")
    assert isinstance(payload, dict)
    assert payload["asset_class"] == "index" and payload["bars"] == 5031
    assert payload["columns"][:4] == ["rsi_14", "macd_8_21_9", "macd_signal_8_21_9",
                                      "macd_hist_8_21_9"]
    rows = payload["rows"]
    assert [r["timestamp"][:10] for r in rows] == ["2018-12-27", "2018-12-28", "2018-12-31"]
    assert 0 < rows[-1]["rsi_14"] < 100
    assert main(["indicators", "sample:SPX", "--names", "rsi"]) == 0
    text = capsys.readouterr().out
    assert "2018-12-31" in text and "rsi_14" in text


def test_indicators_default_set_on_forex_hourly(var_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(capsys, "indicators", "sample:EURUSD", "--interval", "1h")
    assert isinstance(payload, dict)
    row = payload["rows"][-1]
    assert len(row) - 1 == sum(len(spec.outputs) for spec in REGISTRY.values())
    assert row["ichimoku_chikou_9_26_52_26"] is None  # looks ahead: unknown at the last bar
    assert row["vwap_auto"] == pytest.approx(1.236, abs=0.01)


@pytest.mark.parametrize(("names", "message"), [
    ("rsx", "unknown indicator 'rsx'; known: adx"),
    ("rsi:period=0", "rsi: parameter 'period' must be in [2, 100000]; got 0"),
    ("rsi:period=abc", "'period' must be an integer; got 'abc'"),
    ("rsi:length=5", "rsi: bad parameter 'length=5'"),
    ("macd:fast=30", "macd: fast (30) must be shorter than slow (26)"),
    (",", "no indicator names"),
])
def test_indicators_bad_names_exit_2(var_dir: Path, capsys: pytest.CaptureFixture[str],
                                     names: str, message: str) -> None:
    assert message in fail(capsys, "indicators", "sample:SPX", "--names", names)


def test_indicators_usage_errors(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "give a SYMBOL" in fail(capsys, "indicators")
    assert "--tail must be at least 1" in fail(capsys, "indicators", "sample:SPX", "--tail",
                                               "0")
    assert "needs at least 34 bars" in fail(capsys, "indicators", "sample:SPX", "--names",
                                            "macd", "--start", "2018-12-01")


def test_risk_for_an_index_with_benchmark(var_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(capsys, "risk", "sample:GOOG", "--interval", "1d", "--benchmark",
                       "sample:SPX", "--risk-free", "0.02")
    assert isinstance(payload, dict)
    assert payload["asset_class"] == "stock" and payload["periods_per_year"] == 252
    assert payload["benchmark_symbol"] == "sample:SPX"
    assert payload["benchmark"]["observations"] == 2147
    assert 0.5 < payload["benchmark"]["beta"] < 1.5
    assert payload["risk_free_rate"] == 0.02
    assert payload["max_drawdown"]["peak"].startswith("2007-11-06")


def test_risk_spx_window_has_the_known_drawdown(var_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "sample:SPX", "--start", "2007-01-01", "--end", "2009-12-31"]) == 0
    text = capsys.readouterr().out
    assert "max drawdown  -56.78%: peak 2007-10-09, trough 2009-03-09, not recovered" in text
    assert "252 bars a year" in text
    payload = run_json(capsys, "risk", "sample:SPX", "--start", "2007-01-01", "--end",
                       "2009-12-31", "--drawdown-series")
    assert isinstance(payload, dict)
    assert min(v for _, v in payload["drawdown"]) == pytest.approx(-0.5678, abs=5e-5)


def test_risk_for_a_forex_pair(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = run_json(capsys, "risk", "sample:EURUSD", "--interval", "4h")
    assert isinstance(payload, dict)
    assert payload["asset_class"] == "forex"
    assert payload["periods_per_year"] == 260 * 6
    assert payload["bars"] == 1292
    assert payload["data_notes"]  # the sample's naive timestamps are reported
    assert main(["risk", "sample:EURUSD", "--interval", "1h"]) == 0
    assert "6240 bars a year" in capsys.readouterr().out


def test_risk_and_indicators_for_a_crypto_csv(var_dir: Path, crypto_csv: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-csv", str(crypto_csv), "--symbol", "BTCTEST", "--asset-class",
                 "crypto"]) == 0
    capsys.readouterr()
    payload = run_json(capsys, "risk", "csv:BTCTEST", "--interval", "1d")
    assert isinstance(payload, dict)
    assert payload["asset_class"] == "crypto" and payload["periods_per_year"] == 365
    assert payload["bars"] == 400
    assert all(t["var"] is not None for t in payload["tail"])
    values = run_json(capsys, "indicators", "csv:BTCTEST", "--names", "rsi,atr,obv")
    assert isinstance(values, dict)
    assert values["rows"][-1]["rsi_14"] is not None


@pytest.mark.shared_data
def test_risk_for_the_real_btc_csv(var_dir: Path, shared_data_dir: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-csv", str(shared_data_dir / "Coinbase_BTCUSD_d.csv"), "--symbol",
                 "BTCD"]) == 0
    capsys.readouterr()
    payload = run_json(capsys, "risk", "csv:BTCD", "--interval", "1d")
    assert isinstance(payload, dict)
    assert payload["asset_class"] == "crypto" and payload["bars"] == 1770
    assert payload["max_drawdown"]["depth"] < -0.8
    assert payload["max_drawdown"]["peak"].startswith("2017-12-1")


def test_risk_errors_exit_2(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "needs at least 30 returns (31 bars)" in fail(
        capsys, "risk", "sample:SPX", "--start", "2018-12-01")
    assert "risk_free_rate is an annual fraction" in fail(capsys, "risk", "sample:SPX",
                                                          "--risk-free", "5")
    assert "unknown interval '2h'" in fail(capsys, "risk", "sample:SPX", "--interval", "2h")
