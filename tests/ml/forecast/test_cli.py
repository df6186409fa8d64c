"""``python -m ml train / predict / models / backtest`` end to end on the bundled samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")

TINY_ARGS = ["--epochs", "2", "--units", "6", "--layers", "1", "--window", "12",
             "--horizon", "5"]


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORESIGHT_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("FORESIGHT_DATABASE_URL", raising=False)
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _versions(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return _json(capsys, ["models", "--json"])["versions"]


def test_train_predict_and_list_on_the_sp500_sample(
        var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, ["train", "sample:SPX", "--interval", "1d", "--json", *TINY_ARGS])
    assert report["version"]["version"] == 1 and report["version"]["active"]
    assert report["data"]["rows"] == 5031 and len(report["data"]["hash"]) == 64
    assert set(report["horizons"]["5"]["baselines"]) == {"random_walk", "drift",
                                                         "moving_average"}
    assert set(report["horizons"]["1"]["coverage"]) == {"0.8", "0.95"}
    assert report["summary"]["verdict"] in {"skill", "no skill"}
    assert report["splits"]["test"]["samples"] > 500

    forecast = _json(capsys, ["predict", "sample:SPX", "--interval", "1d", "--json"])
    assert forecast["model"]["id"] == report["version"]["id"]
    assert forecast["data_last"].startswith("2018-12-31") and forecast["data_age_s"] > 0
    assert len(forecast["forecast"]["prices"]) == 5
    assert set(forecast["forecast"]["bands"]) == {"0.8", "0.95"}

    assert main(["predict", "sample:SPX", "--interval", "1d", "--horizon", "2"]) == 0
    text = capsys.readouterr().out
    assert "80% band" in text and "95% band" in text and "model v1" in text
    assert [v["id"] for v in _versions(capsys)] == [report["version"]["id"]]

    # the text report: metrics beside the baselines; a second version becomes active
    assert main(["train", "sample:SPX", "--interval", "1d", *TINY_ARGS]) == 0
    out = capsys.readouterr().out
    for word in ("registered version 2", "random_walk", "drift", "moving_average", "MAPE",
                 "DM p", "80% band covers", "overall:"):
        assert word in out
    assert [v["active"] for v in _versions(capsys)] == [True, False]
    assert main(["models", "rollback", "sample:SPX", "--interval", "1d"]) == 0
    capsys.readouterr()
    assert [v["active"] for v in _versions(capsys)] == [False, True]
    assert main(["models"]) == 0
    assert "sample:SPX" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "sample:NOPE", "--interval", "1d"], "unknown sample"),
    (["train", "sample:SPX", "--interval", "1d", "--horizon", "99"],
     "horizon must be between 1 and 60, got 99"),
    (["train", "sample:SPX", "--interval", "1wk", "--window", "900", "--epochs", "1"],
     "too little history"),
    (["predict", "sample:SPX", "--interval", "1d"], "no active model for sample:SPX at 1d"),
    (["models", "promote", "42"], "no model version with id 42"),
    (["models", "rollback", "sample:SPX", "--interval", "1d"], "no active model"),
])
def test_bad_requests_exit_2_with_one_line_and_leave_the_registry_alone(
        var_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert _versions(capsys) == []


def test_backtest_json_carries_the_out_of_sample_predictions(
        var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, ["backtest", "sample:SPX", "--interval", "1wk", "--json",
                            "--folds", "2", *TINY_ARGS])
    series = report["predictions"]
    assert [f["fold"] for f in report["folds"]] == [1, 2]
    assert series["horizon"] == 1 and series["kept"] == series["total"] == report["samples"]
    for key in ("timestamp", "fold", "actual", "predicted", "lower_80", "upper_80",
                "lower_95", "upper_95"):
        assert len(series[key]) == series["kept"], key
    # the bar after the last origin (the last bar with all 5 targets), one week later
    assert report["period"]["last"][:10] == "2018-11-26"
    assert series["timestamp"][-1][:10] == "2018-12-03"
    assert set(series["fold"]) == {1, 2}
    assert _versions(capsys) == []  # a backtest registers nothing


@pytest.mark.parametrize("rows", [3, 10, 100])
def test_training_on_a_short_import_is_one_line_in_bars(
        var_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: int) -> None:
    days = [f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(rows)]
    lines = ["date,open,high,low,close,volume"] + [
        f"{day},{100 + i},{101 + i},{99 + i},{100.5 + i},1000" for i, day in enumerate(days)]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n")
    assert main(["import-csv", str(path), "--symbol", "short"]) == 0
    capsys.readouterr()
    assert main(["train", "csv:short", "--interval", "1d", *TINY_ARGS]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: too little history: {rows} bars") and err.count("\n") == 1
    assert "SplitPlan" not in err and "broadcast" not in err
    assert _versions(capsys) == []
