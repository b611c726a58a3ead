"""Sharing agreements and IEP 2.0 policies per object version (issue 17).

Adds ``agreements`` and ``agreement_parties``, ``agreement_id`` on collections and grants, and
``iep_policy`` and ``expires_at`` on stored STIX objects.

Revision ID: 0110_agreements_iep
Revises: 0100_exercises_play
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0110_agreements_iep"
down_revision: str | Sequence[str] | None = "0100_exercises_play"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("owner_team_id", sa.Uuid(), nullable=False),
        sa.Column("default_policy", sa.JSON(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("starts_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_team_id"], ["teams.id"],
                                name=op.f("fk_agreements_owner_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("title", name=op.f("uq_agreements_title")),
    )
    op.create_index(op.f("ix_agreements_owner_team_id"), "agreements", ["owner_team_id"])
    op.create_table(
        "agreement_parties",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"], ondelete="CASCADE",
                                name=op.f("fk_agreement_parties_agreement_id_agreements")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE",
                                name=op.f("fk_agreement_parties_team_id_teams")),
        sa.PrimaryKeyConstraint("agreement_id", "team_id", name=op.f("pk_agreement_parties")),
    )
    for table in ("collections", "collection_grants"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("agreement_id", sa.Uuid(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_agreement_id"), ["agreement_id"])
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_agreement_id_agreements"),
                                        "agreements", ["agreement_id"], ["id"],
                                        ondelete="SET NULL")
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iep_policy", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", accord.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f("ix_stix_objects_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stix_objects_expires_at"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("iep_policy")
    for table in ("collection_grants", "collections"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_agreement_id_agreements"),
                                     type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_agreement_id"))
            batch_op.drop_column("agreement_id")
    op.drop_table("agreement_parties")
    op.drop_index(op.f("ix_agreements_owner_team_id"), table_name="agreements")
    op.drop_table("agreements")
