"""Demo data: three partner CERTs, their people and service accounts, collections and grants.

Idempotent: running it on a seeded database only prints the credentials again (tokens are
re-issued, since only their hashes are stored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import job_session
from accord.models.teams import Team
from accord.models.users import Role
from accord.registry import DEMO_SEEDERS
from accord.services import collections, teams, tokens, users

DEMO_PASSWORD = "accord-demo-password"

DEMO_TEAMS = [
    # name, country, time zone
    ("Lotus CERT", "VN", "Asia/Ho_Chi_Minh"),
    ("Baltic CERT", "EE", "Europe/Tallinn"),
    ("Andes CERT", "CL", "America/Santiago"),
]

DEMO_USERS = [
    # username, team, role
    ("admin", "Lotus CERT", Role.ADMIN),
    ("coordinator", "Lotus CERT", Role.COORDINATOR),
    ("lan", "Lotus CERT", Role.ANALYST),
    ("kristjan", "Baltic CERT", Role.ANALYST),
    ("valentina", "Andes CERT", Role.ANALYST),
    ("evaluator", "Baltic CERT", Role.EVALUATOR),
    ("observer", "Andes CERT", Role.OBSERVER),
]

DEMO_SERVICE_ACCOUNTS = [("lotus-sync", "Lotus CERT"), ("baltic-sync", "Baltic CERT")]


@dataclass
class DemoCredentials:
    """What the demo prints so a newcomer can sign in and connect a TAXII client."""

    password: str = DEMO_PASSWORD
    users: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: list[tuple[str, str]] = field(default_factory=list)


def _seed_directory(session: Session) -> None:
    for name, country, tz in DEMO_TEAMS:
        teams.create_team(session, name, country, f"soc@{name.split()[0].lower()}.example", tz)
    group = teams.create_trust_group(session, "Demo partners", "The three demo CERTs")
    for name, _, _ in DEMO_TEAMS:
        teams.add_team_to_group(session, group.name, name)
    for username, team, role in DEMO_USERS:
        users.create_user(session, username, team, role, DEMO_PASSWORD)
    for username, team in DEMO_SERVICE_ACCOUNTS:
        users.create_user(session, username, team, Role.SERVICE, None)


def _seed_collections(session: Session) -> None:
    shared = collections.create_collection(
        session, "Partner indicators", "Lotus CERT",
        "Indicators the demo partners share with each other", alias="partner-indicators")
    collections.grant(session, str(shared.id), "Baltic CERT", True, True, "amber+strict")
    collections.grant(session, str(shared.id), "Andes CERT", True, True, "green")
    restricted = collections.create_collection(
        session, "Lotus incident response", "Lotus CERT",
        "Case data for an ongoing incident; RED allowed", alias="lotus-ir", allows_red=True)
    collections.grant(session, str(restricted.id), "Baltic CERT", True, False, "red")


def seed_demo(app: Flask) -> DemoCredentials:
    """Create the demo records if missing; return fresh credentials to print."""
    creds = DemoCredentials()
    with job_session(app) as session:
        if session.scalar(select(Team.id).where(Team.name == DEMO_TEAMS[0][0])) is None:
            _seed_directory(session)
            _seed_collections(session)
            session.flush()
            for seeder in DEMO_SEEDERS:
                seeder(session)
        creds.users = [(u, t, r.value) for u, t, r in DEMO_USERS]
        for username, _ in DEMO_SERVICE_ACCOUNTS:
            _, secret = tokens.create_token(session, username, "demo", ["read", "write"],
                                            expires_in_days=30)
            creds.tokens.append((username, secret))
    return creds

