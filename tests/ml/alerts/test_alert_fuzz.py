"""Whatever JSON a form or an API client sends, rule validation answers with messages by field
and never raises (an exception would be a 500 in the API and a broken form callback)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from ml.alerts.rules import RULE_TYPES, series_from_text
from ml.alerts.store import check_rule

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
PARAM_NAMES = st.sampled_from(["condition", "level", "percent", "window", "direction",
                               "horizon", "side", "probability", "coverage", "left", "right"])
SERIES = st.one_of(JSON, st.fixed_dictionaries({"indicator": st.sampled_from(
    ["rsi", "sma", "macd", "nope", 5]), "params": JSON, "output": JSON}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_type=st.one_of(st.sampled_from(RULE_TYPES), JSON),
       params=st.one_of(JSON, st.dictionaries(PARAM_NAMES, st.one_of(JSON, SERIES),
                                              max_size=6)),
       channels=JSON, cooldown=JSON, expires=JSON, symbol=JSON, interval=JSON)
def test_check_rule_never_raises(rule_type: object, params: object, channels: object,
                                 cooldown: object, expires: object, symbol: object,
                                 interval: object) -> None:
    rule, errors = check_rule({"symbol": symbol, "interval": interval, "rule_type": rule_type,
                               "params": params, "channels": channels, "cooldown_s": cooldown,
                               "expires_at": expires})
    assert (rule is None) == bool(errors)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in errors.items())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_series_text_never_raises_anything_but_a_field_error(text: str) -> None:
    from ml.alerts.rules import AlertRuleError

    try:
        series_from_text(text)
    except AlertRuleError as error:
        assert error.field == "left"
