"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Each issue's tables live here and get their own numbered migration; keep the two in step
(``tests/ml/test_db.py`` checks that the migrated schema matches this metadata).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# Runtime-editable settings (schedules, drift thresholds) as JSON text per key.
app_settings = Table(
    "app_settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- Market data (migration 0002) -------------------------------------------------------------
# Timestamps of bars are integer epoch seconds (UTC, the bar's opening instant): an integer
# column reads into pandas with no per-row datetime parsing, which keeps 100k-bar reads fast.

# What the app knows about a symbol, filled from provider metadata or guessed from spelling.
symbols = Table(
    "symbols", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("asset_class", String(16), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("name", String(200), nullable=True),
    Column("exchange_timezone", String(64), nullable=True),
    Column("metadata_source", String(16), nullable=False),  # "provider" or "spelling"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The bars cache and the store of imported CSVs (symbol "csv:NAME"); only complete bars.
bars = Table(
    "bars", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("interval", String(8), primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float, nullable=False),
    # SQLite: keep rows clustered by the primary key, so a range read is one sequential scan.
    sqlite_with_rowid=False,
)

# Per (symbol, interval): how far the cache is known complete, so a refresh asks only for
# what comes after it, and how old the cache is.
fetch_state = Table(
    "fetch_state", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("interval", String(8), primary_key=True),
    Column("covered_from_ts", BigInteger, nullable=True),
    Column("last_complete_ts", BigInteger, nullable=True),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("source", String(32), nullable=False),
)

# One row per imported CSV (its bars are in ``bars`` under symbol "csv:NAME").
csv_imports = Table(
    "csv_imports", metadata,
    Column("name", String(64), primary_key=True),
    Column("original_filename", String(255), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("first_ts", BigInteger, nullable=True),
    Column("last_ts", BigInteger, nullable=True),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("report_json", Text, nullable=False),
)

# --- Model registry (migration 0003) ------------------------------------------------------------
# Every trained model is a version: its config, features, data range and hash, code version,
# metrics and the model itself (``.keras`` bytes + JSON state for scalers and conformal bands;
# nothing pickled). Versions are numbered per (symbol, interval, target).
model_versions = Table(
    "model_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("symbol", String(64), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("target", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("config_json", Text, nullable=False),
    Column("features_json", Text, nullable=False),
    Column("data_first", DateTime(timezone=True), nullable=False),
    Column("data_last", DateTime(timezone=True), nullable=False),
    Column("data_rows", Integer, nullable=False),
    Column("data_hash", String(64), nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("metrics_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("keras_bytes", LargeBinary, nullable=False),
    Column("keras_sha256", String(64), nullable=False),
    Column("state_json", Text, nullable=False),
    UniqueConstraint("symbol", "interval", "target", "version",
                     name="uq_model_versions_series_version"),
)

# Every promotion and rollback; ``previous_id`` is the activation this one replaced, so a
# rollback walks back along the chain.
model_activations = Table(
    "model_activations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("symbol", String(64), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("target", String(16), nullable=False),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("previous_id", Integer, ForeignKey("model_activations.id"), nullable=True),
    Column("action", String(16), nullable=False),  # "promote" or "rollback"
    Column("at", DateTime(timezone=True), nullable=False),
)

# Exactly one active version per (symbol, interval, target): the primary key says so.
active_models = Table(
    "active_models", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("interval", String(8), primary_key=True),
    Column("target", String(16), primary_key=True),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("activation_id", Integer, ForeignKey("model_activations.id"), nullable=False),
)

# --- Jobs, forecasts and drift (migration 0004) ----------------------------------------------

# One row per Celery task (id = the task id): the durable history behind the jobs pages, kept
# across Redis restarts. ``attempts`` counts the deliveries a worker started.
jobs = Table(
    "jobs", metadata,
    Column("id", String(64), primary_key=True),
    Column("task", String(100), nullable=False, index=True),
    Column("args_json", Text, nullable=False),
    Column("requested_by", String(100), nullable=True, index=True),
    Column("state", String(16), nullable=False),
    Column("progress_json", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("worker", String(200), nullable=True),
    Column("lock_key", String(200), nullable=True, index=True),
    Column("cancel_requested", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("result_json", Text, nullable=True),
    Column("error", Text, nullable=True),
)

# Forecast history (the latest one is also in Redis): one per model version and origin bar, so
# storing it again is a no-op and the live track record can be scored.
forecasts = Table(
    "forecasts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("symbol", String(64), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("last_bar_ts", BigInteger, nullable=False),
    Column("horizon", Integer, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("payload_json", Text, nullable=False),
    UniqueConstraint("symbol", "interval", "model_version_id", "last_bar_ts",
                     name="uq_forecasts_origin"),
)

# Drift detector state of the active model per (symbol, interval); reset when it changes.
model_drift = Table(
    "model_drift", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("interval", String(8), primary_key=True),
    Column("model_version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("state_json", Text, nullable=False),
    Column("last_scored_ts", BigInteger, nullable=True),
    Column("flagged", Boolean, nullable=False),
    Column("reason", Text, nullable=True),
    Column("flagged_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- Accounts (migration 0005) ----------------------------------------------------------------

# People who log in. ``role`` is "viewer" or "admin"; the password hash is werkzeug's
# (scrypt by default), never the password.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login", DateTime(timezone=True), nullable=True),
    CheckConstraint("role IN ('viewer', 'admin')", name="role"),
)

# API tokens: only the SHA-256 of the random token is kept, so a database leak leaks no token.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
)

# A user's watched symbols in display order.
watchlists = Table(
    "watchlists", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
)

# --- Alerts and notifications (migration 0006) --------------------------------------------------
# A rule: what to watch (symbol, interval, type + JSON params), whom to tell and how (channels),
# and how often (cooldown in bar-time seconds, one-shot or repeating, expiry).
alert_rules = Table(
    "alert_rules", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(120), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("rule_type", String(32), nullable=False),
    Column("params_json", Text, nullable=False),
    Column("channels_json", Text, nullable=False),
    Column("cooldown_s", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("one_shot", Boolean, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    # Bar timestamp (epoch s) of the newest event: what cooldown is measured from.
    Column("last_fired_ts", BigInteger, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_alert_rules_watch", "active", "symbol", "interval"),
    Index("ix_alert_rules_owner", "owner_id"),
)

# One event per (rule, bar): the unique key is what makes two workers evaluating the same bar
# store one event. Events outlive any delivery failure.
alert_events = Table(
    "alert_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"),
           nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("bar_ts", BigInteger, nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("interval", String(8), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("rule_id", "bar_ts", name="uq_alert_events_rule_bar"),
    Index("ix_alert_events_owner", "owner_id", "id"),
)

# One delivery per (event, channel); test notifications have no event. ``lease_until`` lets
# exactly one worker send it at a time; ``next_attempt_at`` is the backoff schedule.
notification_deliveries = Table(
    "notification_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("alert_events.id", ondelete="CASCADE"),
           nullable=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("test_payload_json", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("event_id", "channel", name="uq_notification_deliveries_event_channel"),
    Index("ix_notification_deliveries_due", "state", "next_attempt_at"),
    Index("ix_notification_deliveries_owner", "owner_id", "id"),
)

# Every attempt of every delivery, shown to the user beside the event.
delivery_attempts = Table(
    "delivery_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("notification_deliveries.id",
                                              ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=True),
    Index("ix_delivery_attempts_delivery", "delivery_id"),
)

# A user's channel settings (webhook URL and secret, e-mail address) and its health: a channel
# failing ``consecutive_failures`` times in a row is marked ``failing`` and shown as such.
notification_channels = Table(
    "notification_channels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("config_json", Text, nullable=False),
    Column("failing", Boolean, nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner_id", "channel", name="uq_notification_channels_owner_channel"),
)

# Per (symbol, interval): the newest bar already evaluated, so each bar is evaluated once in
# the normal case (the event key still protects against a second evaluation).
alert_watch_state = Table(
    "alert_watch_state", metadata,
    Column("symbol", String(64), primary_key=True),
    Column("interval", String(8), primary_key=True),
    Column("evaluated_through_ts", BigInteger, nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
)
