"""Exercise play: message threads between teams and EXCON.

Revision ID: 0100_exercises_play
Revises: 0100_exercises_reliability
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0100_exercises_play"
down_revision: str | Sequence[str] | None = "0100_exercises_reliability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exercise_threads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("started_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"],
                                name=op.f("fk_exercise_threads_exercise_id_exercises"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_threads")),
    )
    op.create_index(op.f("ix_exercise_threads_exercise_id"), "exercise_threads",
                    ["exercise_id"], unique=False)
    op.create_table(
        "exercise_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exercise_id"], ["exercises.id"],
                                name=op.f("fk_exercise_messages_exercise_id_exercises"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["exercise_threads.id"],
                                name=op.f("fk_exercise_messages_thread_id_exercise_threads"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_exercise_messages_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_messages")),
    )
    op.create_index(op.f("ix_exercise_messages_thread_id"), "exercise_messages", ["thread_id"],
                    unique=False)
    op.create_index(op.f("ix_exercise_messages_exercise_id"), "exercise_messages",
                    ["exercise_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_exercise_messages_exercise_id"), table_name="exercise_messages")
    op.drop_index(op.f("ix_exercise_messages_thread_id"), table_name="exercise_messages")
    op.drop_table("exercise_messages")
    op.drop_index(op.f("ix_exercise_threads_exercise_id"), table_name="exercise_threads")
    op.drop_table("exercise_threads")
