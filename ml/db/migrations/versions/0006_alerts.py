"""Alerts: rules, events (unique per rule and bar), deliveries with their attempts, channel
settings and health, and per-series evaluation state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _owner() -> sa.Column:
    return sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _owner(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("rule_type", sa.String(32), nullable=False),
        sa.Column("params_json", sa.Text, nullable=False),
        sa.Column("channels_json", sa.Text, nullable=False),
        sa.Column("cooldown_s", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("one_shot", sa.Boolean, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("last_fired_ts", sa.BigInteger, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_alert_rules_watch", "alert_rules", ["active", "symbol", "interval"])
    op.create_index("ix_alert_rules_owner", "alert_rules", ["owner_id"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"),
                  nullable=False),
        _owner(),
        sa.Column("bar_ts", sa.BigInteger, nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ, nullable=True),
        sa.UniqueConstraint("rule_id", "bar_ts", name="uq_alert_events_rule_bar"),
    )
    op.create_index("ix_alert_events_owner", "alert_events", ["owner_id", "id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Integer,
                  sa.ForeignKey("alert_events.id", ondelete="CASCADE"), nullable=True),
        _owner(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.Column("test_payload_json", sa.Text, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("event_id", "channel",
                            name="uq_notification_deliveries_event_channel"),
    )
    op.create_index("ix_notification_deliveries_due", "notification_deliveries",
                    ["state", "next_attempt_at"])
    op.create_index("ix_notification_deliveries_owner", "notification_deliveries",
                    ["owner_id", "id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer,
                  sa.ForeignKey("notification_deliveries.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_attempts_delivery", "delivery_attempts", ["delivery_id"])
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _owner(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("failing", sa.Boolean, nullable=False),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_success_at", TZ, nullable=True),
        sa.Column("last_failure_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("owner_id", "channel", name="uq_notification_channels_owner_channel"),
    )
    op.create_table(
        "alert_watch_state",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("interval", sa.String(8), primary_key=True),
        sa.Column("evaluated_through_ts", sa.BigInteger, nullable=False),
        sa.Column("evaluated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("alert_watch_state", "notification_channels", "delivery_attempts",
                  "notification_deliveries", "alert_events", "alert_rules"):
        op.drop_table(table)
