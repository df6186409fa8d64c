"""The alert rule form: which fields each rule type shows, form values <-> rule values, and
the field each validation message belongs to."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from ml.alerts import (
    CHANNELS,
    CONDITIONS,
    DIRECTIONS,
    RULE_TYPES,
    SIDES,
    AlertRuleError,
    series_from_text,
    series_to_text,
)
from ml.data import INTERVALS
from webapp import ids

RULE_LABELS = {
    "price": "Price vs a level", "price_move": "Price moves x% within a window",
    "indicator": "Indicator vs a level or another series",
    "forecast_move": "Forecast move over h bars", "forecast_probability":
    "Probability of ending above/below a level", "forecast_band": "Price leaves the forecast band",
    "forecast_flip": "Forecast direction flips",
}
CHANNEL_LABELS = {"in_app": "In app", "browser": "Browser", "webhook": "Webhook",
                  "email": "E-mail"}
# Parameter fields each rule type shows (the others are hidden).
SHOWN = {
    "price": ("condition", "compare"),
    "price_move": ("percent", "window", "direction"),
    "indicator": ("left", "condition", "compare"),
    "forecast_move": ("horizon", "percent", "direction"),
    "forecast_probability": ("horizon", "compare", "side", "probability"),
    "forecast_band": ("horizon", "coverage"),
    "forecast_flip": ("horizon",),
}
PARAM_FIELDS = ("left", "condition", "compare", "percent", "window", "direction", "horizon",
                "side", "probability", "coverage")
OPTION_FIELDS = ("channels", "one_shot", "active")
FIELDS = ("name", "symbol", "interval", "rule_type", *PARAM_FIELDS, "channels", "cooldown_s",
          "one_shot", "active", "expires_at")
DEFAULTS: dict[str, Any] = {
    "name": "", "symbol": "", "interval": "1d", "rule_type": "price", "left": "rsi(14)",
    "condition": "crosses_up", "compare": "", "percent": "5", "window": "5",
    "direction": "either", "horizon": "1", "side": "above", "probability": "0.7",
    "coverage": "0.95", "channels": ["in_app", "browser"], "cooldown_s": "0",
    "one_shot": False, "active": True, "expires_at": "",
}
# Validation messages name rule parameters; these are the form fields that show them.
ERROR_FIELD = {"level": "compare", "right": "compare", "params": "rule_type"}


def field_id(name: str) -> dict[str, str]:
    return {"type": ids.ALERTS_FIELD, "name": name}


def option_id(name: str) -> dict[str, str]:
    """Checklist and switches: no ``invalid`` property, so apart from the text fields."""
    return {"type": ids.ALERTS_OPTION, "name": name}


def feedback_id(name: str) -> dict[str, str]:
    return {"type": ids.ALERTS_FEEDBACK, "name": name}


def _options(values: tuple[str, ...] | list[str], labels: dict[str, str] | None = None
             ) -> list[dict[str, str]]:
    return [{"label": (labels or {}).get(v, v.replace("_", " ")), "value": v} for v in values]


def _input(name: str, label: str, width: int = 6, **props: Any) -> dbc.Col:
    control = dbc.Input(id=field_id(name), value=DEFAULTS[name], debounce=False, **props)
    return dbc.Col([dbc.Label(label, html_for=f"alerts-{name}"), control,
                    dbc.FormFeedback(id=feedback_id(name), type="invalid")],
                   md=width, id={"type": ids.ALERTS_PARAM_ROW, "name": name})


def _select(name: str, label: str, options: list[dict[str, str]], width: int = 6) -> dbc.Col:
    control = dbc.Select(id=field_id(name), options=options, value=DEFAULTS[name])
    return dbc.Col([dbc.Label(label), control,
                    dbc.FormFeedback(id=feedback_id(name), type="invalid")],
                   md=width, id={"type": ids.ALERTS_PARAM_ROW, "name": name})


def rule_form() -> html.Div:
    """Every field of a rule; the rule type decides which parameter fields show."""
    return html.Div([
        dbc.Row([
            _input("name", "Name (optional)", 12, placeholder="e.g. BTC breakout",
                   maxLength=120),
            _input("symbol", "Symbol", 6, placeholder="AAPL, BTC-USD, sample:SPX"),
            _select("interval", "Interval", _options(INTERVALS), 6),
            _select("rule_type", "Rule", _options(RULE_TYPES, RULE_LABELS), 12),
            _input("left", "Series (column or indicator)", 6,
                   placeholder="close, rsi(14), macd(12, 26, 9).signal"),
            _select("condition", "Condition", _options(CONDITIONS), 6),
            _input("compare", "Level (a number) or another series", 6,
                   placeholder="70, or sma(50)"),
            _input("percent", "Move (%)", 4, inputMode="decimal"),
            _input("window", "Window (bars)", 4, inputMode="numeric"),
            _select("direction", "Direction", _options(DIRECTIONS), 4),
            _input("horizon", "Horizon h (bars)", 4, inputMode="numeric"),
            _select("side", "Ends", _options(SIDES), 4),
            _input("probability", "Probability at least", 4, inputMode="decimal"),
            _input("coverage", "Band coverage", 4, inputMode="decimal"),
        ], className="g-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Channels"),
                     dbc.Checklist(id=option_id("channels"), value=DEFAULTS["channels"],
                                   options=_options(CHANNELS, CHANNEL_LABELS), inline=True),
                     html.Div(id=feedback_id("channels"), className="small text-danger")],
                    md=12),
            _input("cooldown_s", "Cooldown (seconds of bar time)", 4, inputMode="numeric"),
            _input("expires_at", "Expires (UTC, optional)", 4, type="datetime-local"),
            dbc.Col([dbc.Label("Repeat"),
                     dbc.Switch(id=option_id("one_shot"), value=False, label="One-shot"),
                     dbc.Switch(id=option_id("active"), value=True, label="Active")], md=4),
        ], className="g-2 mt-1"),
    ], className="alerts-form")


def _float_or_none(text: object) -> float | None:
    try:
        return float(str(text).strip())
    except ValueError:
        return None


def form_to_values(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields as ``ml.alerts.store.check_rule`` values, plus series-text errors."""
    errors: dict[str, str] = {}
    rule_type = form.get("rule_type") or "price"
    params: dict[str, Any] = {}
    for name in SHOWN.get(rule_type, ()):
        value = form.get(name)
        if name == "compare":
            continue
        if name == "left":
            try:
                params["left"] = series_from_text(str(value or ""), "left")
            except AlertRuleError as error:
                errors["left"] = error.message
            continue
        params[name] = value
    if "compare" in SHOWN.get(rule_type, ()):
        text = str(form.get("compare") or "").strip()
        number = _float_or_none(text)
        if rule_type == "indicator" and text and number is None:
            try:
                params["right"] = series_from_text(text, "right")
            except AlertRuleError as error:
                errors["compare"] = error.message
        else:
            params["level"] = text if number is None else number
    values = {"name": form.get("name"), "symbol": form.get("symbol"),
              "interval": form.get("interval"), "rule_type": rule_type, "params": params,
              "channels": form.get("channels") or [], "cooldown_s": form.get("cooldown_s"),
              "one_shot": bool(form.get("one_shot")), "active": bool(form.get("active")),
              "expires_at": form.get("expires_at") or None}
    return values, errors


def errors_by_field(errors: dict[str, str],
                    text_errors: dict[str, str] | None = None) -> dict[str, str]:
    """Map ``check_rule`` error keys to the form fields that show them; a field's own parse
    error (``text_errors``) wins over what ``check_rule`` said about the missing value."""
    shown = {ERROR_FIELD.get(k, k): v for k, v in (text_errors or {}).items()}
    for key, message in errors.items():
        shown.setdefault(ERROR_FIELD.get(key, key), message)
    return shown


def rule_to_form(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule as form values (for editing)."""
    form = dict(DEFAULTS)
    params = rule["params"]
    form.update({"name": rule["name"], "symbol": rule["symbol"], "interval": rule["interval"],
                 "rule_type": rule["rule_type"], "channels": rule["channels"],
                 "cooldown_s": str(rule["cooldown_s"]), "one_shot": rule["one_shot"],
                 "active": rule["active"],
                 "expires_at": (rule["expires_at"] or "")[:16]})
    for name in ("condition", "percent", "window", "direction", "horizon", "side",
                 "probability", "coverage"):
        if name in params:
            form[name] = str(params[name]) if name not in ("condition", "direction", "side") \
                else params[name]
    if "left" in params:
        form["left"] = series_to_text(params["left"])
    if "right" in params:
        form["compare"] = series_to_text(params["right"])
    elif "level" in params:
        form["compare"] = f"{params['level']:g}"
    return form


def rule_summary(rule: dict[str, Any]) -> str:
    """One line saying what a stored rule watches."""
    p = rule["params"]
    kind = rule["rule_type"]
    if kind == "price":
        return f"close {p['condition'].replace('_', ' ')} {p['level']:g}"
    if kind == "price_move":
        return f"moves {p['direction']} {p['percent']:g}% within {p['window']} bars"
    if kind == "indicator":
        target = series_to_text(p["right"]) if "right" in p else f"{p['level']:g}"
        return f"{series_to_text(p['left'])} {p['condition'].replace('_', ' ')} {target}"
    if kind == "forecast_move":
        return f"forecast moves {p['direction']} {p['percent']:g}% over {p['horizon']} bars"
    if kind == "forecast_probability":
        return (f"P(close {p['side']} {p['level']:g} in {p['horizon']} bars) >= "
                f"{p['probability']:g}")
    if kind == "forecast_band":
        return f"close leaves the {p['coverage']:.0%} band ({p['horizon']} bar)"
    return f"forecast direction flips ({p['horizon']} bar)"


def hidden_style(rule_type: str, name: str) -> dict[str, str]:
    return {} if name in SHOWN.get(rule_type, ()) else {"display": "none"}


__all__ = ["DEFAULTS", "FIELDS", "OPTION_FIELDS", "PARAM_FIELDS", "errors_by_field", "field_id",
           "feedback_id", "form_to_values", "hidden_style", "option_id", "rule_form",
           "rule_summary", "rule_to_form"]
