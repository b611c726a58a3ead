"""Advisories with acknowledgement tracking: advisories, recipients, notices, contacts.

Revision ID: 0102_advisories
Revises: 0102_auth_hardening
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.db

revision: str = "0102_advisories"
down_revision: str | Sequence[str] | None = "0102_auth_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = accord.db.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", _enum("advisory_severity", "low", "medium", "high", "critical"),
                  nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tlp", sa.String(length=20), nullable=False),
        sa.Column("state", _enum("advisory_state", "issued", "closed"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issuer_team_id", sa.Uuid(), nullable=False),
        sa.Column("issued_by_id", sa.Uuid(), nullable=True),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.String(length=100), nullable=False),
        sa.Column("ack_within_seconds", sa.Integer(), nullable=False),
        sa.Column("status_within_seconds", sa.Integer(), nullable=False),
        sa.Column("evidence", _enum("advisory_evidence", "none", "sighting",
                                    "course-of-action"), nullable=False),
        sa.Column("issued_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["collection_id"], ["collections.id"],
                                name=op.f("fk_advisories_collection_id_collections")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"],
                                name=op.f("fk_advisories_issued_by_id_users")),
        sa.ForeignKeyConstraint(["issuer_team_id"], ["teams.id"],
                                name=op.f("fk_advisories_issuer_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisories")),
        sa.UniqueConstraint("ref", name=op.f("uq_advisories_ref")),
    )
    op.create_table(
        "advisory_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("advisory_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("team_name", sa.String(length=120), nullable=False),
        sa.Column("delivered_at", TIME, nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_version", sa.Integer(), nullable=False),
        sa.Column("status", _enum("advisory_recipient_status", "not-affected",
                                  "investigating", "mitigated", "needs-help"), nullable=True),
        sa.Column("status_note", sa.String(length=2000), nullable=False),
        sa.Column("status_at", TIME, nullable=True),
        sa.Column("status_by_id", sa.Uuid(), nullable=True),
        sa.Column("mitigated_at", TIME, nullable=True),
        sa.Column("evidence_at", TIME, nullable=True),
        sa.Column("ack_reminded_at", TIME, nullable=True),
        sa.Column("ack_escalated_at", TIME, nullable=True),
        sa.Column("status_reminded_at", TIME, nullable=True),
        sa.Column("status_escalated_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"],
                                name=op.f("fk_advisory_recipients_acknowledged_by_id_users")),
        sa.ForeignKeyConstraint(["advisory_id"], ["advisories.id"],
                                name=op.f("fk_advisory_recipients_advisory_id_advisories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["status_by_id"], ["users.id"],
                                name=op.f("fk_advisory_recipients_status_by_id_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_advisory_recipients_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_recipients")),
        sa.UniqueConstraint("advisory_id", "team_id",
                            name=op.f("uq_advisory_recipients_advisory_id_team_id")),
    )
    op.create_index(op.f("ix_advisory_recipients_advisory_id"), "advisory_recipients",
                    ["advisory_id"])
    op.create_index(op.f("ix_advisory_recipients_team_id"), "advisory_recipients", ["team_id"])
    op.create_table(
        "advisory_notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("advisory_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["advisory_id"], ["advisories.id"],
                                name=op.f("fk_advisory_notices_advisory_id_advisories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_advisory_notices_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisory_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_advisory_notices_key")),
    )
    op.create_index(op.f("ix_advisory_notices_advisory_id"), "advisory_notices",
                    ["advisory_id"])
    op.create_index(op.f("ix_advisory_notices_state"), "advisory_notices", ["state"])
    op.create_table(
        "advisory_contacts",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=False),
        sa.Column("escalation_email", sa.String(length=300), nullable=False),
        sa.Column("webhook_url", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"],
                                name=op.f("fk_advisory_contacts_team_id_teams")),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_advisory_contacts")),
    )


def downgrade() -> None:
    op.drop_table("advisory_contacts")
    op.drop_index(op.f("ix_advisory_notices_state"), table_name="advisory_notices")
    op.drop_index(op.f("ix_advisory_notices_advisory_id"), table_name="advisory_notices")
    op.drop_table("advisory_notices")
    op.drop_index(op.f("ix_advisory_recipients_team_id"), table_name="advisory_recipients")
    op.drop_index(op.f("ix_advisory_recipients_advisory_id"), table_name="advisory_recipients")
    op.drop_table("advisory_recipients")
    op.drop_table("advisories")
