"""Model registry: versions with their bytes and metrics, activations, the active pointer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("features_json", sa.Text, nullable=False),
        sa.Column("data_first", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_last", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_rows", sa.Integer, nullable=False),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("metrics_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keras_bytes", sa.LargeBinary, nullable=False),
        sa.Column("keras_sha256", sa.String(64), nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("symbol", "interval", "target", "version",
                            name="uq_model_versions_series_version"),
    )
    op.create_table(
        "model_activations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("previous_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_activations"),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"],
                                name="fk_model_activations_version_id_model_versions"),
        sa.ForeignKeyConstraint(["previous_id"], ["model_activations.id"],
                                name="fk_model_activations_previous_id_model_activations"),
    )
    op.create_table(
        "active_models",
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("activation_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("symbol", "interval", "target", name="pk_active_models"),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"],
                                name="fk_active_models_version_id_model_versions"),
        sa.ForeignKeyConstraint(["activation_id"], ["model_activations.id"],
                                name="fk_active_models_activation_id_model_activations"),
    )


def downgrade() -> None:
    op.drop_table("active_models")
    op.drop_table("model_activations")
    op.drop_table("model_versions")
