"""Alerts: rules (what to watch and when it fires), the engine that evaluates them on new bars,
the store (rules, events, deliveries, channels) and the live event stream.

Other packages import from here only; the submodules are this package's own business.
"""

from typing import TYPE_CHECKING

from ml.lazy import lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "events": ("events",),
    "engine": ("evaluate", "forecast_table"),
    "rules": (
        "CONDITIONS", "DIRECTIONS", "RULE_TYPES", "SIDES", "AlertRuleError", "replay",
        "series_from_text", "series_to_text",
    ),
    "store": (
        "CHANNELS", "WORKER_CHANNELS", "channel_config", "check_rule", "create_rule",
        "delete_rule", "get_rule", "list_events", "list_rules", "mark_browser_delivered",
        "now_utc", "record_channel_health", "unread_count", "update_rule",
    ),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ml.alerts import events as events
    from ml.alerts.engine import (
        evaluate as evaluate,
        forecast_table as forecast_table,
    )
    from ml.alerts.rules import (
        CONDITIONS as CONDITIONS,
        DIRECTIONS as DIRECTIONS,
        RULE_TYPES as RULE_TYPES,
        SIDES as SIDES,
        AlertRuleError as AlertRuleError,
        replay as replay,
        series_from_text as series_from_text,
        series_to_text as series_to_text,
    )
    from ml.alerts.store import (
        CHANNELS as CHANNELS,
        WORKER_CHANNELS as WORKER_CHANNELS,
        channel_config as channel_config,
        check_rule as check_rule,
        create_rule as create_rule,
        delete_rule as delete_rule,
        get_rule as get_rule,
        list_events as list_events,
        list_rules as list_rules,
        mark_browser_delivered as mark_browser_delivered,
        now_utc as now_utc,
        record_channel_health as record_channel_health,
        unread_count as unread_count,
        update_rule as update_rule,
    )
