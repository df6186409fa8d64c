"""The REST API over real HTTP: authentication, answers, errors, rate limits, the stream."""

from __future__ import annotations

import json
import threading
import time

import pytest
import redis
import requests

from ml.alerts import events
from ml.data import load_bars
from tests.webapp.accounts.conftest import Stack, fake_model_version, store_forecast
from webapp import accounts


@pytest.fixture(scope="module")
def market(stack: Stack) -> Stack:
    """sample:SPX daily bars in the cache, a model and a stored forecast for it."""
    load_bars("sample:SPX", "1d", engine=stack.engine)
    version_id = fake_model_version(stack.engine, "sample:SPX")
    store_forecast(stack.engine, stack.redis_url, "sample:SPX", version_id)
    return stack


def test_every_route_needs_a_valid_token(stack: Stack) -> None:
    for path in ("/symbols", "/history/AAPL", "/predict/AAPL", "/models", "/jobs/x",
                 "/risk/AAPL", "/indicators", "/stream"):
        response = stack.api("GET", path, who=None)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"
        assert "Bearer" in response.headers["WWW-Authenticate"]
    bad = stack.api("GET", "/symbols", who=None, headers={"Authorization": "Bearer fst_nope"})
    assert bad.status_code == 401
    document = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=20)
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.1")


def test_a_revoked_token_stops_working(stack: Stack) -> None:
    user = stack.users["wendy"]
    info, token = accounts.create_token(stack.engine, user.id, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert stack.api("GET", "/symbols", who=None, headers=headers).status_code == 200
    accounts.revoke_token(stack.engine, user.id, info.id)
    assert stack.api("GET", "/symbols", who=None, headers=headers).status_code == 401


def test_history_serves_the_cache_with_limits_and_ranges(market: Stack) -> None:
    response = market.api("GET", "/history/sample:SPX", params={"limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["symbol"] == "sample:SPX" and body["count"] == 100
    assert body["bars"]["timestamp"][-1] == "2018-12-31T00:00:00Z"
    assert len(body["bars"]["close"]) == 100
    ranged = market.api("GET", "/history/sample:spx", params={
        "start": "2008-01-01", "end": "2008-01-31"}).json()
    assert ranged["bars"]["timestamp"][0] == "2008-01-02T00:00:00Z"
    assert ranged["bars"]["timestamp"][-1] == "2008-01-31T00:00:00Z"
    everything = market.api("GET", "/history/sample:SPX", params={"limit": 100000}).json()
    assert everything["count"] == 5031


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/history/sample:SPX", {"interval": "2d"}, "interval"),
    ("/history/sample:SPX", {"limit": "0"}, "limit"),
    ("/history/sample:SPX", {"limit": "many"}, "limit"),
    ("/history/sample:SPX", {"start": "yesterday-ish"}, "start"),
    ("/history/sample:SPX", {"start": "2010-01-01", "end": "2009-01-01"}, "start"),
    ("/history/sample:SPX", {"colour": "red"}, "colour"),
    ("/history/not a symbol!", {}, "symbol"),
    ("/indicators/sample:SPX", {}, "names"),
    ("/indicators/sample:SPX", {"names": "rsi:period=1"}, "names"),
    ("/indicators/sample:SPX", {"names": "nonsense"}, "names"),
    ("/predict/sample:SPX", {"horizon": "999"}, "horizon"),
    ("/predict/sample:SPX", {"horizon": "9"}, "horizon"),
    ("/models", {"interval": "7m"}, "interval"),
    ("/models", {"symbol": ""}, "symbol"),
])
def test_bad_input_is_422_naming_the_field(market: Stack, path: str, params: dict[str, str],
                                           field: str) -> None:
    response = market.api("GET", path, params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"][0]["field"] == field and error["fields"][0]["reason"]


def test_unknown_symbols_are_404(market: Stack) -> None:
    for path in ("/history/csv:never-imported", "/risk/sample:NOPE"):
        response = market.api("GET", path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"


def test_indicators_and_risk(market: Stack) -> None:
    response = market.api("GET", "/indicators/sample:SPX",
                          params={"names": "rsi,sma:period=50", "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["series"]) == {"rsi_14", "sma_50"} and body["count"] == 10
    assert all(0 <= v <= 100 for v in body["series"]["rsi_14"])
    catalog = market.api("GET", "/indicators").json()
    assert any(item["name"] == "macd" for item in catalog["indicators"])
    risk = market.api("GET", "/risk/sample:SPX", params={"start": "2007-01-01",
                                                         "end": "2009-12-31"})
    assert risk.status_code == 200, risk.text
    assert risk.json()["max_drawdown"]["depth"] == pytest.approx(-0.5678, abs=1e-3)


def test_predict_reads_the_stored_forecast(market: Stack) -> None:
    response = market.api("GET", "/predict/sample:SPX", params={"horizon": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["horizons"] == [1, 2, 3]
    assert len(body["prices"]) == 3 and len(body["bands"]["0.8"]["upper"]) == 3
    assert body["model"]["summary"]["verdict"] == "no skill"
    assert body["data_age_s"] > 0
    models = market.api("GET", "/models", params={"symbol": "sample:SPX",
                                              "interval": "1d"}).json()
    assert [m["active"] for m in models["models"]] == [True]


def test_predict_without_a_model_is_404(market: Stack) -> None:
    response = market.api("GET", "/predict/sample:EURUSD", params={"interval": "1h"})
    assert response.status_code == 404
    assert "no trained model" in response.json()["error"]["message"]


def test_admin_routes_refuse_viewers_and_anonymous_callers(market: Stack) -> None:
    body = {"symbol": "sample:SPX", "interval": "1d", "kind": "gru"}
    from sqlalchemy import func, select

    from ml.db.schema import jobs

    def job_count() -> int:
        with market.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(jobs)).scalar_one())

    before = job_count()
    assert market.api("POST", "/jobs/train", who=None, json=body).status_code == 401
    assert market.api("POST", "/jobs/train", who="victor", json=body).status_code == 403
    assert market.api("GET", "/jobs/anything", who="victor").status_code == 403
    assert job_count() == before


def test_the_rate_limit_answers_429_per_token(stack: Stack) -> None:
    user = stack.users["wendy"]
    _, token = accounts.create_token(stack.engine, user.id, "hammer")
    headers = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    statuses = [session.get(f"{stack.url}/api/v1/indicators", headers=headers,
                            timeout=20).status_code for _ in range(420)]
    assert statuses[0] == 200 and statuses[-1] == 429
    limited = session.get(f"{stack.url}/api/v1/indicators", headers=headers, timeout=20)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # Other tokens are not affected.
    assert stack.api("GET", "/indicators", who="victor").status_code == 200


def test_stream_relays_events_and_only_the_callers_alerts(market: Stack) -> None:
    received: list[str] = []

    def listen() -> None:
        with requests.get(f"{market.url}/api/v1/stream", params={"max_s": 4},
                          headers={"Authorization": f"Bearer {market.tokens['victor']}"},
                          stream=True, timeout=20) as response:
            assert response.status_code == 200
            for line in response.iter_lines(decode_unicode=True):
                received.append(line)

    thread = threading.Thread(target=listen)
    thread.start()
    client = redis.Redis.from_url(market.redis_url)
    deadline = time.monotonic() + 3
    while not any("event: ready" in line for line in received) and time.monotonic() < deadline:
        time.sleep(0.05)
    events.publish(client, events.FORECASTS, {"symbol": "sample:SPX", "made_at": "now"})
    events.publish(client, events.ALERTS, {"rule": 1, "text": "mine"},
                   user_id=market.users["victor"].id)
    events.publish(client, events.ALERTS, {"rule": 2, "text": "not mine"},
                   user_id=market.users["wendy"].id)
    thread.join(timeout=15)
    client.close()
    data = [json.loads(line[5:]) for line in received if line.startswith("data:")]
    assert "event: forecast" in received and "event: alert" in received
    assert {"rule": 1, "text": "mine"} in data
    assert all(item.get("text") != "not mine" for item in data)
    assert "event: end" in received


def test_an_admin_queues_a_training_and_follows_it(market: Stack) -> None:
    body = {"symbol": "sample:spx", "interval": "1d", "kind": "gru",
            "hyperparameters": {"epochs": 2, "units": 8}}
    response = market.api("POST", "/jobs/train", who="alice", json=body)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["config"] == {"kind": "gru", "target": "returns", "epochs": 2, "units": 8}
    status = market.api("GET", queued["status_url"].removeprefix("/api/v1"), who="alice")
    assert status.status_code == 200, status.text
    assert status.json()["state"] == "PENDING" and status.json()["args"]["symbol"] == "sample:SPX"
    assert market.api("GET", "/jobs/no-such-job", who="alice").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"interval": "1d"}, "symbol"),
    ({"symbol": "AAPL", "kind": "transformer"}, "kind"),
    ({"symbol": "AAPL", "hyperparameters": {"epochs": 100000}}, "hyperparameters.epochs"),
    ({"symbol": "AAPL", "hyperparameters": {"units": 2.5}}, "hyperparameters.units"),
    ({"symbol": "AAPL", "hyperparameters": {"rm_rf": 1}}, "hyperparameters.rm_rf"),
    ({"symbol": "AAPL", "when": "now"}, "when"),
])
def test_training_requests_outside_the_safe_bounds_are_422(market: Stack, body: dict[str, object],
                                                           field: str) -> None:
    response = market.api("POST", "/jobs/train", who="alice", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == field
    not_json = market.api("POST", "/jobs/train", who="alice", data="symbol=AAPL")
    assert not_json.status_code == 422


def test_predict_without_a_stored_forecast_queues_one_job_for_everyone(market: Stack) -> None:
    fake_model_version(market.engine, "sample:EURUSD", "4h")
    first = market.api("GET", "/predict/sample:EURUSD", params={"interval": "4h"})
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "computing" and int(first.headers["Retry-After"]) > 0
    second = market.api("GET", "/predict/sample:EURUSD", params={"interval": "4h"},
                        who="wendy")
    assert second.json()["job_id"] == first.json()["job_id"]
    # The job id a viewer was given opens nothing for them.
    assert market.api("GET", f"/jobs/{first.json()['job_id']}").status_code == 403


RULE = {"symbol": "sample:spx", "interval": "1d", "rule_type": "price",
        "params": {"condition": "above", "level": 3000}, "channels": ["in_app"]}


def test_alerts_crud_belongs_to_the_tokens_owner(market: Stack) -> None:
    created = market.api("POST", "/alerts", json=RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["symbol"] == "sample:SPX" and rule["rule_type"] == "price"
    path = f"/alerts/{rule['id']}"
    assert market.api("GET", path).json()["id"] == rule["id"]
    assert [r["id"] for r in market.api("GET", "/alerts").json()["alerts"]] == [rule["id"]]
    # Another user sees, changes and deletes nothing of victor's.
    assert market.api("GET", path, who="wendy").status_code == 404
    assert market.api("PUT", path, who="wendy", json=RULE).status_code == 404
    assert market.api("DELETE", path, who="wendy").status_code == 404
    assert market.api("GET", "/alerts", who="wendy").json()["alerts"] == []
    changed = market.api("PUT", path, json={**RULE, "params": {"condition": "below",
                                                               "level": 2000}})
    assert changed.status_code == 200 and changed.json()["params"]["condition"] == "below"
    assert market.api("GET", "/alerts/events").json() == {"events": [], "count": 0}
    assert market.api("DELETE", path).status_code == 204
    assert market.api("GET", path).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({**RULE, "interval": "2d"}, "interval"),
    ({**RULE, "channels": []}, "channels"),
    ({**RULE, "channels": "in_app"}, "channels"),
    ({**RULE, "params": "above 3000"}, "params"),
    ({**RULE, "rule_type": "astrology"}, "rule_type"),
    ({**RULE, "symbol": "not a symbol!"}, "symbol"),
    ({**RULE, "colour": "red"}, "colour"),
])
def test_bad_alert_rules_are_422_naming_the_field(market: Stack, body: dict[str, object],
                                                  field: str) -> None:
    response = market.api("POST", "/alerts", json=body)
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]]


def test_unrouted_api_paths_answer_json(market: Stack) -> None:
    for method, path in (("GET", "/nowhere"), ("GET", "/alerts/abc"),
                         ("GET", "/alerts/99999999999999999999"), ("DELETE", "/symbols")):
        response = market.api(method, path)
        assert response.status_code in {404, 405}, (path, response.text)
        assert response.json()["error"]["status"] == response.status_code


def test_history_sees_new_bars_at_once(market: Stack) -> None:
    import pandas as pd

    from ml.data import cache as bars_cache
    from ml.db import write_transaction

    before = market.api("GET", "/history/sample:SPX", params={"limit": 1}).json()
    new = pd.DataFrame({"open": [2500.0], "high": [2520.0], "low": [2490.0], "close": [2510.0],
                        "volume": [1e9]},
                       index=pd.DatetimeIndex([pd.Timestamp("2019-01-02", tz="UTC")],
                                              name="timestamp"))
    with write_transaction(market.engine) as connection:
        bars_cache.upsert_bars(connection, "sample:SPX", "1d", new)
    try:
        after = market.api("GET", "/history/sample:SPX", params={"limit": 1}).json()
        assert before["bars"]["timestamp"] == ["2018-12-31T00:00:00Z"]
        assert after["bars"]["timestamp"] == ["2019-01-02T00:00:00Z"]
        assert after["bars"]["close"] == [2510.0]
    finally:
        with write_transaction(market.engine) as connection:
            connection.exec_driver_sql("DELETE FROM bars WHERE symbol = 'sample:SPX' "
                                       "AND ts = ?", (int(new.index[0].timestamp()),))


def _listen(url: str, token: str, max_s: int, received: list[str]) -> threading.Thread:
    def listen() -> None:
        with requests.get(f"{url}/api/v1/stream", params={"max_s": max_s},
                          headers={"Authorization": f"Bearer {token}"}, stream=True,
                          timeout=30) as response:
            assert response.status_code == 200
            received.extend(response.iter_lines(decode_unicode=True))

    thread = threading.Thread(target=listen)
    thread.start()
    return thread


def _wait_ready(received: list[str]) -> None:
    deadline = time.monotonic() + 10
    while not any("event: ready" in line for line in received) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_stream_reports_forecasts_a_worker_stored_without_publishing(market: Stack) -> None:
    received: list[str] = []
    thread = _listen(market.url, market.tokens["victor"], 6, received)
    _wait_ready(received)
    version_id = fake_model_version(market.engine, "sample:SPX", promote=False)
    store_forecast(market.engine, market.redis_url, "sample:SPX", version_id)
    thread.join(timeout=20)
    events_seen = [json.loads(line[5:]) for line in received if line.startswith("data:")]
    assert any(e.get("model_version_id") == version_id for e in events_seen), received


@pytest.mark.slow
def test_stream_works_in_fallback_mode_and_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.accounts.conftest import start_stack

    stack = start_stack("", tmp_path, {"FORESIGHT_API_TOKEN_CACHE_S": "0"})
    try:
        load_bars("sample:SPX", "1d", engine=stack.engine)
        received: list[str] = []
        thread = _listen(stack.url, stack.tokens["victor"], 4, received)
        _wait_ready(received)
        version_id = fake_model_version(stack.engine, "sample:SPX")
        store_forecast(stack.engine, "", "sample:SPX", version_id)
        thread.join(timeout=20)
    finally:
        stack.web.stop()
        stack.engine.dispose()
    ready = json.loads(received[received.index("event: ready") + 1][5:])
    assert ready["mode"] == "fallback" and "no pub/sub" in ready["delivery"]
    assert "event: forecast" in received
