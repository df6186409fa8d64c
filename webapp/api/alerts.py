"""Alert rules and events of the token's owner: ``/alerts`` CRUD and ``/alerts/events``.

Every query passes the caller's user id to ``ml.alerts.store`` (which filters on the owner),
so a rule id belonging to someone else answers 404 exactly like one that does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response

from webapp import services
from webapp.api import params
from webapp.api.caller import current_user
from webapp.api.errors import ApiError, invalid
from webapp.api.market import canonical_symbol, json_response

logger = logging.getLogger(__name__)

FIELDS = ("name", "symbol", "interval", "rule_type", "params", "channels", "cooldown_s",
          "one_shot", "active", "expires_at")
MAX_ID = 2**31 - 1


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/alerts", "alerts", list_alerts, methods=["GET"])
    blueprint.add_url_rule("/alerts", "alert_create", create_alert, methods=["POST"])
    blueprint.add_url_rule("/alerts/events", "alert_events", list_alert_events,
                           methods=["GET"])
    blueprint.add_url_rule("/alerts/<rule_id>", "alert", get_alert, methods=["GET"])
    blueprint.add_url_rule("/alerts/<rule_id>", "alert_update", update_alert, methods=["PUT"])
    blueprint.add_url_rule("/alerts/<rule_id>", "alert_delete", delete_alert,
                           methods=["DELETE"])


def _owner() -> int:

    return current_user().id


def _rule_id(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ApiError(404, f"no alert rule {text[:20]!r}")
    return int(text)


def _types(body: dict[str, Any]) -> None:
    """JSON types first, so the rule checks only ever see the shapes they expect."""
    expected: dict[str, tuple[type, ...]] = {
        "name": (str,), "symbol": (str,), "interval": (str,), "rule_type": (str,),
        "params": (dict,), "channels": (list,), "cooldown_s": (int, float),
        "one_shot": (bool,), "active": (bool,), "expires_at": (str, type(None))}
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise invalid(unknown[0], f"unknown field; allowed: {', '.join(FIELDS)}")
    for name, kinds in expected.items():
        value = body.get(name)
        if name not in body:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise invalid(name, f"must be {' or '.join(k.__name__ for k in kinds)}")
    if any(not isinstance(c, str) for c in body.get("channels") or []):
        raise invalid("channels", "must be a list of channel names")


def _values(body: dict[str, Any]) -> Any:
    from ml.alerts import check_rule

    _types(body)
    if isinstance(body.get("symbol"), str) and body["symbol"].strip():
        body = {**body, "symbol": canonical_symbol(body["symbol"])}
    try:
        values, errors = check_rule(body)
    except (TypeError, ValueError) as error:
        raise invalid("params", str(error)) from None
    if values is None:
        fields = [{"field": f, "reason": r} for f, r in sorted(errors.items())]
        first = fields[0] if fields else {"field": "body", "reason": "invalid rule"}
        raise ApiError(422, f"{first['field']}: {first['reason']}", fields=fields or [first])
    return values


def list_alerts() -> Response:
    from ml.alerts import list_rules

    params.allowed_query([])
    rules = list_rules(services.database(), _owner())
    return json_response({"alerts": rules, "count": len(rules)})


def create_alert() -> Response:
    from ml.alerts import create_rule, get_rule

    owner = _owner()
    values = _values(params.json_body())
    rule_id = create_rule(services.database(), owner, values)
    response = json_response(get_rule(services.database(), owner, rule_id), status=201)
    response.headers["Location"] = f"/api/v1/alerts/{rule_id}"
    return response


def get_alert(rule_id: str) -> Response:
    from ml.alerts import get_rule

    params.allowed_query([])
    rule = get_rule(services.database(), _owner(), _rule_id(rule_id))
    if rule is None:
        raise ApiError(404, f"no alert rule {rule_id}")
    return json_response(rule)


def update_alert(rule_id: str) -> Response:
    from ml.alerts import get_rule, update_rule

    owner, number = _owner(), _rule_id(rule_id)
    if get_rule(services.database(), owner, number) is None:
        raise ApiError(404, f"no alert rule {rule_id}")
    values = _values(params.json_body())
    if not update_rule(services.database(), owner, number, values):
        raise ApiError(404, f"no alert rule {rule_id}")
    return json_response(get_rule(services.database(), owner, number))


def delete_alert(rule_id: str) -> Response:
    from ml.alerts import delete_rule

    if not delete_rule(services.database(), _owner(), _rule_id(rule_id)):
        raise ApiError(404, f"no alert rule {rule_id}")
    return Response(status=204)


def list_alert_events() -> Response:
    from ml.alerts import list_events

    params.allowed_query(["limit", "after_id"])
    limit = params.integer("limit", 50, 1, 500) or 50
    after = params.integer("after_id", None, 0, MAX_ID)
    found = list_events(services.database(), _owner(), limit=limit, after_id=after)
    return json_response({"events": found, "count": len(found)})
