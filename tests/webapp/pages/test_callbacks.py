"""Page callbacks run for real (data layer, indicators, risk, registry, CSV import) inside an
app context with the fallback cache; only the browser is left out (tests/browser does that)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
import numpy as np
import pandas as pd
import plotly.io.json as pio_json
import pytest

import webapp.app  # noqa: F401 - pages register themselves with the app
from webapp.pages import data as data_page, forecast as forecast_page, market, risk as risk_page


def _call(callback: Any, *args: Any) -> Any:
    return getattr(callback, "__wrapped__", callback)(*args)


def _text(component: Any) -> str:
    return pio_json.to_json_plotly(component)


def test_market_callback_draws_sample_data(app_context: flask.Flask) -> None:
    tokens = ["sma:period=50", "rsi:period=14"]
    payload, live, cards, banners, info, replay_off, _timer, _status, live_off, _ms = _call(
        market.update_market, "sample:GOOG", "1d", tokens)
    plan = live["plan"]
    figure = payload["figure"]
    assert figure["data"][0]["type"] == "candlestick"
    assert payload["templates"].keys() == {"light", "dark"}
    assert {p["source"] for p in plan} >= {"ohlc", "sma_50", "rsi_14"}
    assert banners == [] and replay_off is False  # sample data can be replayed
    assert live_off is True  # ... and has no live clock
    text = _text(info)
    assert "backtesting.test.GOOG" in text and "Fetched" in text
    assert "Last price" in _text(cards)
    # A second call is served from the cache and gives the same figure.
    again = _call(market.update_market, "sample:GOOG", "1d", tokens)[0]
    assert _text(again) == _text(payload)


def test_unknown_and_offline_symbols_give_banners_not_tracebacks(
        app_context: flask.Flask) -> None:
    payload, _plan, _cards, banners, _info, replay_off, *_ = _call(
        market.update_market, "sample:NOPE", "1d", [])
    assert payload["figure"]["data"] == [] and replay_off is True
    assert '"data-kind": "unknown-symbol"' in _text(banners) or "unknown-symbol" in \
        _text(banners)
    # The network guard blocks Yahoo: an online symbol fails gracefully.
    _payload, _plan, _cards, banners, *_ = _call(market.update_market, "AAPL", "1d", [])
    assert "no-network" in _text(banners)


def test_bad_indicator_in_url_is_reported(app_context: flask.Flask) -> None:
    banners = _call(market.update_market, "sample:SPX", "1wk", ["rsi:period=1"])[3]
    assert "period" in _text(banners)


def test_replay_starts_and_steps_with_a_patch(app_context: flask.Flask) -> None:
    payload, state, timer_disabled, status = _call(
        market.toggle_replay, 1, True, "sample:EURUSD", "4h", ["ema:period=20"])
    assert timer_disabled is False and "Replaying" in status
    start = state["position"]
    figure = payload["figure"]
    assert isinstance(figure["data"][0]["x"], list)  # lists, so a Patch can extend them
    patch, state2, status2, finished = _call(market.replay_step, 1, state)
    assert state2["position"] == start + 1 and not finished
    operations = patch.to_plotly_json()["operations"]
    assert {op["operation"] for op in operations} == {"Extend"}
    assert any(op["location"] == ["data", 0, "close"] for op in operations)
    assert "bar" in status2


def test_live_step_sends_only_the_new_bars(app_context: flask.Flask) -> None:
    live = _call(market.update_market, "sample:GOOG", "1d", ["sma:period=20"])[1]
    bars = market.loaders.get_bars("sample:GOOG", "1d").bars
    # As if the chart had been drawn two bars ago: the next tick brings exactly two bars.
    update, live2, _status = _call(market.live_step, 1, {**live, "last": str(bars.index[-3])})
    candle, lines = update["groups"]
    assert candle["indices"] == [0] and len(candle["data"]["close"][0]) == 2
    assert candle["data"]["close"][0][-1] == pytest.approx(bars["close"].iloc[-1])
    assert set(lines["data"]) == {"x", "y"} and len(lines["indices"]) == 2  # volume, SMA
    assert live2["last"] == str(bars.index[-1])
    nothing = _call(market.live_step, 2, live2)
    assert nothing[0] is market.no_update


def test_mtf_panels_use_coarser_intervals(app_context: flask.Flask) -> None:
    columns = _call(market.update_mtf, "mtf", "sample:EURUSD", "1h")
    # Each column holds the panel's figure store (already filled) and its graph.
    payloads = [column.children[0].data for column in columns]
    assert [column.children[0].id["name"] for column in columns] == ["mtf-0", "mtf-1", "mtf-2"]
    titles = [p["figure"]["layout"].get("title", {}).get("text", "") for p in payloads]
    assert titles == ["sample:EURUSD · 1h", "sample:EURUSD · 4h", "sample:EURUSD · 1d"]


def test_risk_callback(app_context: flask.Flask) -> None:
    cards, banners, drawdown, histogram, rolling, correlation = _call(
        risk_page.update_risk, "sample:SPX", "1d", "sample:GOOG, sample:NOPE")
    text = _text(cards)
    for label in ("Sharpe", "Sortino", "Calmar", "Max drawdown", "CVaR 95%", "CVaR 99%"):
        assert label in text
    assert "-56.8%" in text  # the 2007-2009 drawdown of the S&P 500 sample
    assert "sample:NOPE left out" in _text(banners)
    assert len(histogram["figure"]["layout"]["shapes"]) == 2  # VaR 95 and 99 lines
    assert correlation["figure"]["data"][0]["type"] == "heatmap"
    assert drawdown["figure"]["data"] and rolling["figure"]["data"]


def test_forecast_card_without_a_model_says_so(app_context: flask.Flask) -> None:
    body, fan, track, _residuals, folds, backtest = _call(forecast_page.update_forecast,
                                                          "sample:SPX", "1d", None)
    assert "No trained model" in _text(body)
    assert fan["figure"]["data"][0]["name"] == "Close"
    assert "track record" in _text(track["figure"]).lower()
    assert "No walk-forward backtest" in _text(folds["figure"])
    assert backtest["figure"]["data"] == [] and "once a backtest has run" in _text(backtest)


def _decoded(values: dict[str, str]) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning:keras.*")
def test_backtest_chart_draws_the_stored_out_of_sample_forecasts(
        app_context: flask.Flask) -> None:
    """A real tiny walk-forward, stored as the run_backtest job stores it; the page draws its
    predictions: actual, predicted, both bands, and a separator where fold 2 begins."""
    from ml.forecast.evaluation import walk_forward
    from ml.forecast.models import ModelConfig
    from ml.json_values import json_safe
    from webapp import loaders, services
    from workers import jobs as job_rows

    bars = loaders.get_bars("sample:SPX", "1wk").bars
    config = ModelConfig(window_length=12, units=6, layers=1, dropout=0.0, batch_size=128,
                         epochs=1, early_stopping_patience=1, horizon=2, seed=7)
    report = json_safe(walk_forward(bars, config, folds=2))
    engine = services.database()
    job_rows.record_submitted(engine, "bt-1", "workers.tasks.run_backtest",
                              {"symbol": "sample:SPX", "interval": "1wk"}, requested_by=None)
    job_rows.record_finished(engine, "bt-1", "SUCCESS", result={
        "symbol": "sample:SPX", "interval": "1wk", "config": config.to_dict(),
        "report": report})

    *_others, chart = _call(forecast_page.update_forecast, "sample:SPX", "1wk", None)
    figure = chart["figure"]
    traces = {trace.get("name"): trace for trace in figure["data"]}
    assert {"Actual", "Predicted", "80% band", "95% band"} <= set(traces)
    series = report["predictions"]
    np.testing.assert_allclose(_decoded(traces["Actual"]["y"]), series["actual"], rtol=1e-6)
    np.testing.assert_allclose(_decoded(traces["Predicted"]["y"]), series["predicted"],
                               rtol=1e-6)
    x = _decoded(traces["Actual"]["x"])
    assert x[-1] == pd.Timestamp(series["timestamp"][-1]).value // 10**6
    lows = [_decoded(t["y"]) for t in figure["data"] if t.get("fill") == "tonexty"]
    assert len(lows) == 2 and all(len(low) == series["kept"] for low in lows)
    second = series["timestamp"][series["fold"].index(2)]
    [separator] = figure["layout"]["shapes"]
    assert separator["x0"] == pd.Timestamp(second).value // 10**6
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["fold 2"]
    assert chart["templates"].keys() == {"light", "dark"}


def test_backtest_button_says_plainly_when_jobs_are_unavailable(
        app_context: flask.Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp import services

    monkeypatch.setenv("FORESIGHT_REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("FORESIGHT_BROKER_TIMEOUT_S", "0.3")
    services.worker_settings.cache_clear()
    services.redis_client.cache_clear()
    job, timer_disabled, status, _store = _call(forecast_page.start_backtest, 1, "sample:SPX",
                                                "1d", None)
    assert job is None and timer_disabled is True
    assert "Jobs are unavailable" in _text(status)


BAD_CSV = "date,open,high,low,close\n2024-01-02,1,2,0.5,abc\n2024-01-03,1.5,2,1,1.8\n"


def _upload(text: str) -> str:
    import base64

    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def test_csv_with_a_bad_column_shows_the_error(app_context: flask.Flask) -> None:
    report, refresh = _call(data_page.upload_csv, _upload(BAD_CSV), "bad.csv", None, 0)
    text = _text(report)
    assert "bad.csv was not imported" in text
    assert "line 2, column 'close'" in text and "not a number" in text
    assert "CsvValueError" in text


def test_good_csv_is_imported_and_listed(app_context: flask.Flask, tmp_path: Path) -> None:
    from tests.conftest import make_ohlcv

    bars = make_ohlcv(60, seed=2)
    csv = bars.rename_axis("date").to_csv()
    report, refreshes = _call(data_page.upload_csv, _upload(csv), "walk.csv", "my walk", 0)
    text = _text(report)
    assert "Imported walk.csv as csv:my_walk" in text and refreshes == 1
    listing = _text(_call(data_page.show_cache, 1))
    assert "csv:my_walk" in listing
    suggestions = dict(market.symbol_suggestions())
    assert "csv:my_walk" in suggestions and "sample:SPX" in suggestions
    assert "csv:my_walk" in _text(market.layout())
    payload = _call(market.update_market, "csv:my_walk", "1d", [])[0]
    assert len(payload["figure"]["data"][0]["x"]["bdata"]) > 0


def test_import_name_is_made_safe() -> None:
    assert data_page.import_name("My File (2).csv", None) == "My_File_2"
    assert data_page.import_name("x.csv", "csv:prices") == "prices"


def test_cached_online_symbol_offline_shows_cache_with_age_and_stale_banners(
        app_context: flask.Flask) -> None:
    """AAPL was cached weeks ago; now the network is out: the chart shows the cache, and the
    banners say the provider is unreachable and the data is stale."""
    import datetime as dt

    from ml.data import cache
    from ml.db import write_transaction
    from tests.conftest import make_ohlcv
    from webapp import services

    bars = make_ohlcv(120, seed=9, start="2024-01-01")
    with write_transaction(services.database()) as connection:
        cache.upsert_bars(connection, "AAPL", "1d", bars)
        cache.advance_state(connection, symbol="AAPL", interval="1d",
                            covered_from_ts=cache.to_epoch(bars.index[0], 0),
                            last_complete_ts=cache.to_epoch(bars.index[-1], 0),
                            fetched_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), source="yahoo")
    payload, _live, _cards, banners, info, replay_off, *_rest, live_off, _ms = _call(
        market.update_market, "AAPL", "1d", [])
    assert len(payload["figure"]["data"][0]["x"]["bdata"]) > 0  # the cached chart is drawn
    text = _text(banners)
    assert "no-network" in text and "cached bars instead" in text
    assert "stale" in text and "Stale data" in text
    assert "days ago" in _text(info)
    assert replay_off is True and live_off is False  # a live symbol keeps its clock


def test_backtest_progress_never_shows_another_users_job(app_context: flask.Flask) -> None:
    """The job id comes back from a browser store: a visitor cannot follow alice's job."""
    from dash.exceptions import PreventUpdate

    from webapp import services
    from workers import jobs as job_rows

    job_rows.record_submitted(services.database(), "job-of-alice", "workers.tasks.run_backtest",
                              {"symbol": "sample:SPX", "interval": "1d"}, requested_by="alice")
    with pytest.raises(PreventUpdate):
        _call(forecast_page.follow_backtest, 1, {"id": "job-of-alice"})
    job_rows.record_submitted(services.database(), "job-of-visitor", "workers.tasks.run_backtest",
                              {"symbol": "sample:SPX", "interval": "1d"}, requested_by=None)
    status, finished, _done = _call(forecast_page.follow_backtest, 1, {"id": "job-of-visitor"})
    assert finished is False and "Backtest" in _text(status)
