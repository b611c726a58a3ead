"""The probe of :mod:`tests.dbprobe` itself: it sees another connection's uncommitted write
(flushed by an autoflush before a query, as in the bug it guards against), and nothing once
that write is committed or while a transaction has only read; on PostgreSQL,
``transaction_open`` also sees the read-only one."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.teams import Team
from tests.dbprobe import transaction_open, write_lock_held
from tests.factories import make_team


def test_the_probe_sees_an_uncommitted_write_and_only_that(app: Flask, session: Session
                                                           ) -> None:
    team = make_team(session, "Probe CERT", "EE")
    session.commit()
    assert not write_lock_held(app)
    assert not transaction_open(app)

    session.scalars(select(Team)).all()  # a transaction that has only read
    assert not write_lock_held(app)
    assert transaction_open(app) == (app.config["DATABASE_URL"].startswith("postgresql"))

    team.name = "Probe CERT 2"  # dirty, not yet written ...
    assert not write_lock_held(app)
    session.scalars(select(Team)).all()  # ... until a query autoflushes it
    assert write_lock_held(app)

    session.commit()
    assert not write_lock_held(app)
    assert not transaction_open(app)
