"""Index STIX ids hub-wide (provenance checks look an id up across collections); merge heads.

Revision ID: 0006
Revises: 0003, 0004, 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stix_objects_stix_id", "stix_objects", ["stix_id"])


def downgrade() -> None:
    op.drop_index("ix_stix_objects_stix_id", table_name="stix_objects")
