"""Stored outbound copies: ``stix_objects.outbound_text`` (issue 15).

The copy of a version that TAXII serves to automation (its TLP and origin stated,
:func:`accord.sharing.outbound.stored_outbound`) is computed once at ingest, not on every
read.
Nullable: rows stored before this revision (and versions whose copy depends on the reader or
the read, such as those with an IEP policy) keep NULL and are computed per read, as before.

Revision ID: 0210_outbound_text
Revises: 0200_iep_expiry_audit
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0210_outbound_text"
down_revision: str | Sequence[str] | None = "0200_iep_expiry_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbound_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stix_objects", schema=None) as batch_op:
        batch_op.drop_column("outbound_text")
