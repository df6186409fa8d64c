"""``python -m ml fetch`` and ``python -m ml import-csv``, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ml.cli.main import main

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORESIGHT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_fetch_sample_eurusd_4h_json_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORESIGHT_")}
    env.update(FORESIGHT_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, "-m", "ml", "fetch", "sample:EURUSD", "--interval",
                           "4h", "--json"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {"symbol", "interval", "rows", "first", "last", "asset_class", "currency",
            "source", "cache_age_s", "notes", "report"} <= set(payload)
    assert (payload["symbol"], payload["interval"], payload["rows"]) == ("sample:EURUSD",
                                                                         "4h", 1292)
    assert (payload["asset_class"], payload["currency"]) == ("forex", "USD")
    assert payload["first"] == "2017-04-19T08:00:00+00:00"
    assert payload["last"] == "2018-02-07T12:00:00+00:00"
    assert payload["report"]["rows_out"] == 1292
    assert any("taken as UTC" in note for note in payload["notes"])
    assert (tmp_path / "var" / "foresight.db").exists()


@pytest.mark.shared_data
def test_import_btc_hourly_then_fetch_it(cli_env: Path, shared_data_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    imported = run_json(["import-csv", str(shared_data_dir / "Coinbase_BTCUSD_1h.csv"),
                         "--symbol", "btc", "--interval", "1h", "--json"], capsys)
    assert (imported["symbol"], imported["rows"]) == ("csv:btc", 20_111)
    assert (imported["asset_class"], imported["currency"]) == ("crypto", "USD")
    assert imported["source"] == "CSV import of Coinbase_BTCUSD_1h.csv"
    daily = run_json(["fetch", "csv:btc", "--interval", "1d", "--start", "2019-01-01",
                      "--end", "2019-01-31", "--json"], capsys)
    assert daily["rows"] == 31 and daily["first"] == "2019-01-01T00:00:00+00:00"


def test_human_summary(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "sample:SPX", "--start", "2018-12-01"]) == 0
    out = capsys.readouterr().out
    assert "sample:SPX 1d: 19 bars, 2018-12-03 00:00 to 2018-12-31 00:00 UTC" in out
    assert "index, USD" in out


@pytest.mark.parametrize(("args", "message"), [
    (["fetch", "sample:SPX", "--interval", "2h"], "unknown interval '2h'"),
    (["fetch", "sample:SPX", "--start", "2010-01-01", "--end", "2009-01-01"],
     "is after end"),
    (["fetch", "sample:SPX", "--interval", "1h"], "cannot give 1h bars"),
    (["import-csv", "/nonexistent.csv", "--symbol", "x"], "no such file"),
])
def test_errors_are_one_line_and_exit_2(cli_env: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], message: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_import_error_names_the_column(cli_env: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,open,high,close\n2024-01-01,1,2,1.5\n")
    assert main(["import-csv", str(path), "--symbol", "bad"]) == 2
    assert "missing column(s) low" in capsys.readouterr().err
