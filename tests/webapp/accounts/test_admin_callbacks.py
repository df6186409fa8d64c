"""Every admin callback and the settings page refuse anyone but an admin, with no effect.

The callbacks are enumerated from the server's own ``/_dash-dependencies``, so a callback
added later is covered without touching this file. Each is called the way the browser
would (``POST /_dash-update-component``) without a session and as a viewer; the database,
the registry and the job queues must be unchanged. The same request as an admin succeeds,
which proves the refused requests were well-formed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from ml.db.schema import active_models, app_settings, jobs, model_activations
from tests.webapp.accounts.conftest import Stack, fake_model_version

DISPATCH = "/_dash-update-component"
VALUES: dict[tuple[str, str], Any] = {
    ("admin-train-symbols", "value"): "sample:SPX",
    ("admin-train-interval", "value"): "1d",
    ("admin-train-kind", "value"): "lstm",
    ("admin-train-target", "value"): "returns",
    ("admin-tabs", "active_tab"): "train",
    ("admin-confirm-action", "data"): {"action": "rollback", "symbol": "sample:GOOG",
                                       "interval": "1d"},
    ("admin-models-pair", "value"): "1d|sample:GOOG",
    ("admin-job-selected", "data"): "some-job",
    ("theme-store", "data"): "dark",
    ("admin-train-param", "value"): 2,
    ("admin-schedule-field", "value"): 120,
    ("admin-policy-field", "value"): 12.5,
}


# Wildcard (ALL) ids are filled with one concrete component each.
CONCRETE: dict[str, dict[str, Any]] = {
    "admin-train-param": {"name": "epochs"},
    "admin-schedule-field": {"name": "heartbeat", "key": "every_s"},
    "admin-policy-field": {"name": "drift_threshold"},
}


def _concrete(id_text: str) -> str | dict[str, Any]:
    if not id_text.startswith("{"):
        return id_text
    pattern = json.loads(id_text)
    filled = CONCRETE.get(pattern.get("type"), {})
    return {key: filled.get(key, "x") if isinstance(value, list) else value
            for key, value in pattern.items()}


def _item(spec: dict[str, str], value_for: dict[tuple[str, str], Any]) -> Any:
    concrete = _concrete(spec["id"])
    if isinstance(concrete, dict):  # ALL wildcard: the list of matching components
        value = concrete if spec["property"] == "id" else \
            value_for.get((concrete["type"], spec["property"]), 1)
        return [{"id": concrete, "property": spec["property"], "value": value}]
    value = value_for.get((concrete, spec["property"]), 1)
    return {"id": concrete, "property": spec["property"], "value": value}


def _outputs(output: str) -> Any:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    items = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1].split("@")[0]}
             for p in parts]
    return items if output.startswith("..") else items[0]


def callback_body(dependency: dict[str, Any],
                  values: dict[tuple[str, str], Any] | None = None) -> dict[str, Any]:
    value_for = {**VALUES, **(values or {})}
    inputs = [_item(spec, value_for) for spec in dependency["inputs"]]
    first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
    first_id = first["id"] if isinstance(first["id"], str) else \
        json.dumps(first["id"], sort_keys=True, separators=(",", ":"))
    return {"output": dependency["output"], "outputs": _outputs(dependency["output"]),
            "inputs": inputs, "state": [_item(spec, value_for) for spec in dependency["state"]],
            "changedPropIds": [f"{first_id}.{first['property']}"]}


def admin_callbacks(stack: Stack) -> list[dict[str, Any]]:
    dependencies = requests.get(f"{stack.url}/_dash-dependencies", timeout=20).json()
    return [d for d in dependencies if "admin-" in json.dumps([d["output"], d["inputs"]])]


def snapshot(stack: Stack) -> dict[str, Any]:
    """Everything an admin callback could change."""
    with stack.engine.connect() as connection:
        counts = {table.name: connection.execute(
            select(func.count()).select_from(table)).scalar_one()
            for table in (jobs, app_settings, model_activations)}
        counts["active"] = sorted(tuple(row) for row in connection.execute(
            select(active_models.c.symbol, active_models.c.version_id)))
        counts["settings"] = sorted(tuple(row) for row in connection.execute(
            select(app_settings.c.key, app_settings.c.value_json)))
    client = redis.Redis.from_url(stack.redis_url)
    try:
        counts["queued"] = {q: client.llen(q) for q in ("default", "training")}
    finally:
        client.close()
    return counts


@pytest.fixture(scope="module")
def goog_versions(stack: Stack) -> tuple[int, int]:
    first = fake_model_version(stack.engine, "sample:GOOG")
    second = fake_model_version(stack.engine, "sample:GOOG", promote=False)
    return first, second


def test_the_settings_page_registers_its_callbacks_under_admin_ids(stack: Stack) -> None:
    names = {d["output"].strip(".").split(".")[0] for d in admin_callbacks(stack)}
    assert len(admin_callbacks(stack)) >= 12
    assert {"admin-train-result", "admin-jobs-message", "admin-models-message",
            "admin-settings-message", "admin-health-body"} <= names


def test_every_admin_callback_refuses_anonymous_and_viewer_callers_without_effect(
        stack: Stack, goog_versions: tuple[int, int]) -> None:
    viewer = stack.login("victor")
    callbacks = admin_callbacks(stack)
    before = snapshot(stack)
    for dependency in callbacks:
        body = callback_body(dependency, {("admin-confirm-action", "data"): {
            "action": "promote", "version_id": goog_versions[1]}})
        anonymous = requests.post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
        assert anonymous.status_code == 401, (dependency["output"], anonymous.text)
        refused = viewer.post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
        assert refused.status_code == 403, (dependency["output"], refused.text)
        assert refused.json()["error"]["code"] == "forbidden"
    assert snapshot(stack) == before


def test_the_same_requests_work_for_an_admin(stack: Stack,
                                             goog_versions: tuple[int, int]) -> None:
    admin = stack.login("alice")
    by_output = {d["output"]: d for d in admin_callbacks(stack)}
    before = snapshot(stack)
    train = admin.post(f"{stack.url}{DISPATCH}", timeout=20,
                       json=callback_body(by_output["admin-train-result.children"]))
    assert train.status_code == 200, train.text
    assert "Queued 1 training" in train.text
    after = snapshot(stack)
    assert after["jobs"] == before["jobs"] + 1
    assert after["queued"]["training"] == before["queued"]["training"] + 1
    promote = admin.post(f"{stack.url}{DISPATCH}", timeout=20, json=callback_body(
        by_output["admin-models-message.children"],
        {("admin-confirm-action", "data"): {"action": "promote",
                                            "version_id": goog_versions[1]}}))
    assert promote.status_code == 200 and "is now active" in promote.text, promote.text
    assert ("sample:GOOG", goog_versions[1]) in snapshot(stack)["active"]
    rollback = admin.post(f"{stack.url}{DISPATCH}", timeout=20, json=callback_body(
        by_output["admin-models-message.children"]))
    assert rollback.status_code == 200 and "is now active" in rollback.text, rollback.text
    assert ("sample:GOOG", goog_versions[0]) in snapshot(stack)["active"]


def test_invalid_admin_input_is_refused_with_a_reason(stack: Stack) -> None:
    admin = stack.login("alice")
    by_output = {d["output"]: d for d in admin_callbacks(stack)}
    body = callback_body(by_output["admin-train-result.children"],
                         {("admin-train-param", "value"): 5000})
    response = admin.post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
    assert response.status_code == 200
    assert "must be between" in response.text and "Queued" not in response.text


def _page(session: requests.Session, stack: Stack, pathname: str) -> str:
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    response = session.post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
    assert response.status_code == 200, response.text
    return response.text


def test_the_settings_layout_holds_no_admin_controls_for_others(stack: Stack) -> None:
    anonymous = _page(requests.Session(), stack, "/settings")
    viewer = _page(stack.login("victor"), stack, "/settings")
    admin = _page(stack.login("alice"), stack, "/settings")
    for text in (anonymous, viewer):
        assert "settings-refused" in text and "admin-train-submit" not in text
    assert "admin-train-submit" in admin and "admin-tabs" in admin


def test_account_callbacks_need_a_login_and_touch_only_the_callers_tokens(
        stack: Stack) -> None:
    from webapp import accounts

    dependencies = requests.get(f"{stack.url}/_dash-dependencies", timeout=20).json()
    revoke = next(d for d in dependencies if "account-token-revoke" in json.dumps(d["inputs"]))
    wendy_token, _ = accounts.create_token(stack.engine, stack.users["wendy"].id, "target")
    body = callback_body(revoke)
    body["inputs"][0][0]["id"]["index"] = wendy_token.id
    body["changedPropIds"] = [json.dumps(body["inputs"][0][0]["id"], sort_keys=True,
                                         separators=(",", ":")) + ".n_clicks"]
    assert requests.post(f"{stack.url}{DISPATCH}", json=body, timeout=20).status_code == 401
    # Victor names wendy's token id: the callback runs for victor and revokes nothing of hers.
    response = stack.login("victor").post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
    assert response.status_code == 200, response.text
    listed = accounts.list_tokens(stack.engine, stack.users["wendy"].id)
    assert not next(t for t in listed if t.id == wendy_token.id).revoked


def test_an_admin_cancels_a_queued_job_and_a_viewer_cannot(stack: Stack) -> None:
    queued = stack.api("POST", "/jobs/train", who="alice",
                       json={"symbol": "sample:GOOG", "interval": "1wk"})
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["job_id"]
    cancel = next(d for d in admin_callbacks(stack) if d["output"].startswith("admin-jobs-message"))
    body = callback_body(cancel)
    body["inputs"][0][0]["id"]["index"] = job_id
    body["changedPropIds"] = [json.dumps(body["inputs"][0][0]["id"], sort_keys=True,
                                         separators=(",", ":")) + ".n_clicks"]
    refused = stack.login("victor").post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
    assert refused.status_code == 403
    assert stack.api("GET", f"/jobs/{job_id}", who="alice").json()["state"] == "PENDING"
    done = stack.login("alice").post(f"{stack.url}{DISPATCH}", json=body, timeout=20)
    assert done.status_code == 200 and "Cancelling job" in done.text, done.text
    assert stack.api("GET", f"/jobs/{job_id}", who="alice").json()["state"] == "CANCELLED"
