"""Retention audit marker: which expired versions already have their ``object.expired`` row.

Adds ``expiry_recorded`` on stored STIX objects (false until the retention audit job of
:mod:`accord.sharing.retention` has recorded the version's expiry) and an index on
(``expiry_recorded``, ``expires_at``), so each run reads only the versions that expired since.

Revision ID: 0200_iep_expiry_audit
Revises: 0110_agreements_iep
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0200_iep_expiry_audit"
down_revision: str | Sequence[str] | None = "0110_agreements_iep"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expiry_recorded", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f("ix_stix_objects_expiry_recorded_expires"),
                              ["expiry_recorded", "expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stix_objects_expiry_recorded_expires"))
        batch_op.drop_column("expiry_recorded")
