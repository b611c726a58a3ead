"""Queue for big add-objects envelopes processed by workers (status "pending").

Revision ID: 0101_envelope_queue
Revises: 0007_origin
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import accord.db

revision: str = "0101_envelope_queue"
down_revision: str | Sequence[str] | None = "0007_origin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queued_envelopes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("token_id", sa.Uuid(), nullable=True),
        sa.Column("objects", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"],
                                name=op.f("fk_queued_envelopes_collection_id_collections"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["id"], ["taxii_statuses.id"],
                                name=op.f("fk_queued_envelopes_id_taxii_statuses"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_queued_envelopes_team_id_teams")),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"],
                                name=op.f("fk_queued_envelopes_token_id_api_tokens"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_queued_envelopes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_envelopes")),
    )
    op.create_index(op.f("ix_queued_envelopes_collection_id"), "queued_envelopes",
                    ["collection_id"])
    op.create_index(op.f("ix_queued_envelopes_claimed_until"), "queued_envelopes",
                    ["claimed_until"])


def downgrade() -> None:
    op.drop_index(op.f("ix_queued_envelopes_claimed_until"), table_name="queued_envelopes")
    op.drop_index(op.f("ix_queued_envelopes_collection_id"), table_name="queued_envelopes")
    op.drop_table("queued_envelopes")
