"""exercises reliability: webhook outbox columns, scheduler takeovers, HSEEP improvement plan

Revision ID: 0100_exercises_reliability
Revises: 0102_advisories
Create Date: 2026-12-03 10:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0100_exercises_reliability"
down_revision: str | Sequence[str] | None = "0102_advisories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("scheduler_leases",
                  sa.Column("renewed_at", accord.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "scheduler_takeovers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("taken_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("previous_holder", sa.String(200), nullable=True),
        sa.Column("previous_renewed_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("previous_expires_at", accord.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_takeovers")),
    )
    op.create_index(op.f("ix_scheduler_takeovers_name"), "scheduler_takeovers", ["name"])
    op.create_index(op.f("ix_scheduler_takeovers_taken_at"), "scheduler_takeovers",
                    ["taken_at"])
    # Existing rows get a value through a temporary server default, dropped again so the
    # schema matches the models (which set defaults in Python).
    with op.batch_alter_table("exercise_deliveries") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", accord.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.create_index(batch.f("ix_exercise_deliveries_next_attempt_at"),
                           ["next_attempt_at"], unique=False)
    with op.batch_alter_table("exercise_deliveries") as batch:
        batch.alter_column("attempts", server_default=None)
    with op.batch_alter_table("exercise_improvements") as batch:
        batch.add_column(sa.Column("capability", sa.String(200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("observation", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("recommendation", sa.Text(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
    with op.batch_alter_table("exercise_improvements") as batch:
        for column in ("capability", "observation", "recommendation"):
            batch.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("exercise_improvements") as batch:
        for column in ("start_date", "recommendation", "observation", "capability"):
            batch.drop_column(column)
    with op.batch_alter_table("exercise_deliveries") as batch:
        batch.drop_index(batch.f("ix_exercise_deliveries_next_attempt_at"))
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
    op.drop_index(op.f("ix_scheduler_takeovers_taken_at"), table_name="scheduler_takeovers")
    op.drop_index(op.f("ix_scheduler_takeovers_name"), table_name="scheduler_takeovers")
    op.drop_table("scheduler_takeovers")
    op.drop_column("scheduler_leases", "renewed_at")
