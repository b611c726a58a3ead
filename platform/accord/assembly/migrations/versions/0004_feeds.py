"""feeds: sources, runs, pushed envelopes and list values

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = accord.db.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "feed_sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", _enum("feedkind", "taxii21-pull", "taxii21-push", "list"),
                  nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("partner_team_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("cron", sa.String(100), nullable=True),
        sa.Column("max_tlp", _enum("tlp", "clear", "green", "amber", "amber+strict", "red"),
                  nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("watermark", sa.String(64), nullable=True),
        sa.Column("push_watermark", UTC, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("backoff_until", UTC, nullable=True),
        sa.Column("lock_holder", sa.String(64), nullable=True),
        sa.Column("lock_until", UTC, nullable=True),
        sa.Column("last_run_at", UTC, nullable=True),
        sa.Column("last_success_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"],
                                name=op.f("fk_feed_sources_collection_id_collections")),
        sa.ForeignKeyConstraint(["partner_team_id"], ["teams.id"],
                                name=op.f("fk_feed_sources_partner_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_feed_sources_name")),
    )
    op.create_index(op.f("ix_feed_sources_collection_id"), "feed_sources", ["collection_id"])
    op.create_index(op.f("ix_feed_sources_partner_team_id"), "feed_sources", ["partner_team_id"])

    op.create_table(
        "feed_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("feed_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("outcome", _enum("runoutcome", "running", "success", "failed", "interrupted",
                                   "skipped"), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            "pages", "fetched", "stored", "already_known", "rejected", "dropped", "expired")],
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed_sources.id"], ondelete="CASCADE",
                                name=op.f("fk_feed_runs_feed_id_feed_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_runs")),
    )
    op.create_index(op.f("ix_feed_runs_feed_id"), "feed_runs", ["feed_id"])

    op.create_table(
        "feed_pushes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("feed_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("status_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            "total", "successes", "failures", "pendings")],
        sa.Column("failure_details", sa.JSON(), nullable=False),
        sa.Column("first_date_added", UTC, nullable=False),
        sa.Column("last_date_added", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed_sources.id"], ondelete="CASCADE",
                                name=op.f("fk_feed_pushes_feed_id_feed_sources")),
        sa.ForeignKeyConstraint(["run_id"], ["feed_runs.id"], ondelete="SET NULL",
                                name=op.f("fk_feed_pushes_run_id_feed_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_pushes")),
    )
    op.create_index(op.f("ix_feed_pushes_feed_id"), "feed_pushes", ["feed_id"])
    op.create_index(op.f("ix_feed_pushes_run_id"), "feed_pushes", ["run_id"])

    op.create_table(
        "feed_list_values",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("feed_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.String(2000), nullable=False),
        sa.Column("indicator_id", sa.String(100), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("first_seen", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("modified", UTC, nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed_sources.id"], ondelete="CASCADE",
                                name=op.f("fk_feed_list_values_feed_id_feed_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_list_values")),
        sa.UniqueConstraint("feed_id", "value", name=op.f("uq_feed_list_values_feed_id_value")),
    )
    op.create_index(op.f("ix_feed_list_values_feed_id"), "feed_list_values", ["feed_id"])


def downgrade() -> None:
    op.drop_table("feed_list_values")
    op.drop_table("feed_pushes")
    op.drop_table("feed_runs")
    op.drop_table("feed_sources")
