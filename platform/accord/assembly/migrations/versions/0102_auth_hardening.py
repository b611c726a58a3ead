"""Login limit counters and users.credentials_version (issue 12: atomic limits, sessions and
cached password checks that end on a password change or deactivation).

Also scrubs what older versions stored verbatim in failed-login rows: a name that is no
account's (a token sent as the Basic username, a password typed into the username field) is
replaced by ``unknown:redacted``.

Revision ID: 0102_auth_hardening
Revises: 0101_envelope_queue
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0102_auth_hardening"
down_revision: str | Sequence[str] | None = "0101_envelope_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", accord.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_version", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.execute(sa.text(
        "UPDATE audit_events SET actor_name = 'unknown:redacted' "
        "WHERE action IN ('auth.failed', 'auth.throttled') AND actor_name IS NOT NULL "
        "AND actor_name NOT LIKE 'unknown:%' "
        "AND actor_name NOT IN (SELECT username FROM users)"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("credentials_version")
    op.drop_table("login_throttles")
