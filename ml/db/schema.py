"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Each issue's tables live here and get their own numbered migration; keep the two in step
(``tests/ml/test_db.py`` checks that the migrated schema matches this metadata).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text

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
