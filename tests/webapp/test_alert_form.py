"""The alert form's mapping: fields -> rule values, messages -> the field that shows them,
stored rule -> fields (editing gives back the same rule)."""

from __future__ import annotations

import pytest

from ml.alerts.store import check_rule
from webapp.components.alerts_form import (
    DEFAULTS,
    errors_by_field,
    form_to_values,
    rule_summary,
    rule_to_form,
)


def _form(**changes: object) -> dict:
    return {**DEFAULTS, "symbol": "AAPL", "compare": "150", **changes}


@pytest.mark.parametrize(("changes", "field", "text"), [
    ({"compare": "ten"}, "compare", "must be a number"),
    ({"rule_type": "indicator", "left": "rsi(0)"}, "left", "period"),
    ({"rule_type": "indicator", "compare": "sma(x)"}, "compare", "must be an integer"),
    ({"cooldown_s": "-1"}, "cooldown_s", "cannot be negative"),
    ({"rule_type": "price_move", "window": "0"}, "window", "between 1"),
    ({"rule_type": "forecast_probability", "compare": "100", "probability": "2"},
     "probability", "between 0 and 1"),
])
def test_each_bad_field_gets_its_own_message(changes: dict, field: str, text: str) -> None:
    values, text_errors = form_to_values(_form(**changes))
    _rule, errors = check_rule(values)
    shown = errors_by_field(errors, text_errors)
    assert list(shown) == [field] and text in shown[field]


@pytest.mark.parametrize("changes", [
    {"compare": "150"},
    {"rule_type": "indicator", "left": "rsi(14)", "condition": "above", "compare": "70"},
    {"rule_type": "indicator", "left": "close", "condition": "crosses_up",
     "compare": "sma(50)"},
    {"rule_type": "indicator", "left": "macd(12, 26, 9)", "compare": "macd(12, 26, 9).signal"},
    {"rule_type": "price_move", "percent": "3", "window": "10", "direction": "down"},
    {"rule_type": "forecast_move", "horizon": "5", "percent": "2"},
    {"rule_type": "forecast_probability", "horizon": "3", "compare": "200", "side": "below",
     "probability": "0.8"},
    {"rule_type": "forecast_band", "horizon": "1", "coverage": "0.95"},
    {"rule_type": "forecast_flip", "horizon": "2"},
])
def test_editing_a_saved_rule_gives_the_same_rule(changes: dict) -> None:
    values, text_errors = form_to_values(_form(**changes, cooldown_s="3600"))
    rule, errors = check_rule(values)
    assert rule is not None and not errors and not text_errors
    stored = {"name": rule.name, "symbol": rule.symbol, "interval": rule.interval,
              "rule_type": rule.rule.rule_type, "params": dict(rule.rule.params),
              "channels": list(rule.channels), "cooldown_s": rule.cooldown_s,
              "one_shot": rule.one_shot, "active": rule.active, "expires_at": None}
    again, _ = check_rule(form_to_values(rule_to_form(stored))[0])
    assert again is not None and again.rule == rule.rule and again.cooldown_s == 3600
    assert rule_summary(stored)
