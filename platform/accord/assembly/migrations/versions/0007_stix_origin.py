"""STIX object versions record their origin (the creator's identity) and contested copies.

``origin`` is the STIX identity of the organisation that created the object: it survives
federation, so only the origin may add versions on any hub. ``contested`` marks a version
written by someone who could not read the id's existing versions: it is kept apart, visible
only to its writer, so a write never tells whether a hidden object exists.

Revision ID: 0007_origin
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_origin"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stix_objects", sa.Column("origin", sa.String(300), nullable=True))
    op.add_column("stix_objects", sa.Column("contested", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))
    op.execute("UPDATE stix_objects SET origin = (SELECT teams.identity_id FROM teams "
               "WHERE teams.id = stix_objects.source_team_id)")
    op.create_index("ix_stix_objects_origin", "stix_objects", ["origin"])


def downgrade() -> None:
    op.drop_index("ix_stix_objects_origin", table_name="stix_objects")
    with op.batch_alter_table("stix_objects") as batch:
        batch.drop_column("contested")
        batch.drop_column("origin")
