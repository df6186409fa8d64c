"""Market data: symbols, the bars cache, fetch state and CSV imports.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "symbols",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("asset_class", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("exchange_timezone", sa.String(64), nullable=True),
        sa.Column("metadata_source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("interval", sa.String(8), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("volume", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "fetch_state",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("interval", sa.String(8), primary_key=True),
        sa.Column("covered_from_ts", sa.BigInteger, nullable=True),
        sa.Column("last_complete_ts", sa.BigInteger, nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_table(
        "csv_imports",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("original_filename", sa.String(255), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("first_ts", sa.BigInteger, nullable=True),
        sa.Column("last_ts", sa.BigInteger, nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("csv_imports")
    op.drop_table("fetch_state")
    op.drop_table("bars")
    op.drop_table("symbols")
