"""``accord demo``: three partner CERTs, their people and service accounts, collections and
grants, then every feature's demo content (shared indicators, a scheduled exercise).

Idempotent: running it on a seeded database only prints the credentials again (tokens are
re-issued, since only their hashes are stored).
"""

from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import features
from accord.assembly import create_app
from accord.cli.output import CommandError
from accord.config import CONFIG_FILE_NAME
from accord.db import job_session
from accord.migrate import NotMigrated, upgrade
from accord.models.collections import Collection
from accord.models.teams import Team
from accord.models.users import Role
from accord.services import collections, teams, tokens, users
from accord.serving import serve

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

LIST_FOLDER = "lists"
"""The demo's ``FEEDS_LIST_DIRECTORY`` (in its instance folder), so the README's list feed
example reads ``blocklist.txt`` from it."""
SAMPLE_LIST = """# A sample list for the demo's list feed: one value a line, # for comments.
203.0.113.66
malware-drop.example
http://update-check.example/payload.bin
not a value!
"""


@dataclass
class DemoCredentials:
    """What the demo prints so a newcomer can sign in and connect a TAXII client."""

    password: str = DEMO_PASSWORD
    users: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: list[tuple[str, str]] = field(default_factory=list)
    collections: list[tuple[str, str, str]] = field(default_factory=list)
    """(alias, TAXII id, title) of the sharing collections."""


DEMO_ALIASES = ("partner-indicators", "lotus-ir")


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
            for seeder in features.demo_seeders(app):
                seeder(session)
        creds.users = [(u, t, r.value) for u, t, r in DEMO_USERS]
        creds.collections = [(c.alias or "", str(c.id), c.title) for c in session.scalars(
            select(Collection).where(Collection.alias.in_(DEMO_ALIASES))
            .order_by(Collection.title))]
        for username, _ in DEMO_SERVICE_ACCOUNTS:
            _, secret = tokens.create_token(session, username, "demo", ["read", "write"],
                                            expires_in_days=30)
            creds.tokens.append((username, secret))
    return creds


def _print_credentials(base_url: str, creds: DemoCredentials, config_path: Path) -> None:
    click.echo("")
    click.echo(f"Accord demo hub: {base_url}/")
    click.echo(f"  TAXII discovery: {base_url}/taxii2/")
    click.echo(f"  Health:          {base_url}/readyz")
    click.echo("  Sign in (password for all demo users: " + creds.password + "):")
    for username, team, role in creds.users:
        click.echo(f"    {username:<14} {team:<12} {role}")
    click.echo("  API tokens (Authorization: Bearer ...):")
    for username, token in creds.tokens:
        click.echo(f"    {username:<14} {token}")
    click.echo("  Collections (alias or id in TAXII URLs):")
    for alias, collection_id, title in creds.collections:
        click.echo(f"    {alias:<20} {collection_id}  {title}")
    click.echo(f"  Command line: this hub's settings are in {config_path}")
    if config_path.parent == Path.cwd() / "instance":
        click.echo("    `accord …` run from this folder uses it; elsewhere, add "
                   f"--config {config_path}")
    else:
        click.echo(f"    use it with: accord --config {config_path} …")
    click.echo("")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--instance", "instance_path", default=None,
              help="Folder for the demo database (default: ./instance).")
@click.option("--no-serve", is_flag=True, help="Create the demo data and exit.")
@click.option("--reset", is_flag=True, help="Start from an empty demo database.")
def demo_command(host: str, port: int, instance_path: str | None, no_serve: bool,
                 reset: bool) -> None:
    """Create a demo database with partner teams and shared indicators, then serve it."""
    if not no_serve:
        require_free_port(host, port)
    instance = Path(instance_path or "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    database_file = instance / "accord-demo.sqlite3"
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_file}{suffix}").unlink(missing_ok=True)
    app = create_app({"ENV": "demo", "INSTANCE_PATH": str(instance),
                      "DATABASE_URL": f"sqlite:///{database_file}",
                      "SECRET_KEY": _demo_secret(instance),
                      "FEEDS_LIST_DIRECTORY": str(_sample_lists(instance))})
    try:
        upgrade(app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    config_path = write_config_file(instance, app)
    creds = seed_demo(app)
    _print_credentials(f"http://{host}:{port}", creds, config_path)
    if not no_serve:
        serve(app, host, port, workers=1, threads=8, with_scheduler=True, demo=True)


def write_config_file(instance: Path, app: Flask) -> Path:
    """``instance/accord.toml``: what any ``accord`` command needs to act on this hub
    (readable by its owner only: it holds the secret key)."""
    path = instance / CONFIG_FILE_NAME
    lines = ["# Written by `accord demo`: the settings of this hub for the accord command.",
             f"INSTANCE_PATH = {json.dumps(str(instance))}",
             f"DATABASE_URL = {json.dumps(app.config['DATABASE_URL'])}",
             f"SECRET_KEY = {json.dumps(app.config['SECRET_KEY'])}",
             f"FEEDS_LIST_DIRECTORY = {json.dumps(app.config['FEEDS_LIST_DIRECTORY'])}",
             'ENV = "demo"']
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def require_free_port(host: str, port: int) -> None:
    """Refuse at once, in one line, when something already listens on host:port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror or exc} "
                               "(is another hub running? choose another --port)") from None


def _sample_lists(instance: Path) -> Path:
    """The folder list feeds may read, with a sample ``blocklist.txt`` (kept if edited)."""
    folder = instance / LIST_FOLDER
    folder.mkdir(exist_ok=True)
    sample = folder / "blocklist.txt"
    if not sample.exists():
        sample.write_text(SAMPLE_LIST, encoding="utf-8")
    return folder


def _demo_secret(instance: Path) -> str:
    """A per-instance secret so demo sessions survive restarts (demo mode only)."""
    path = instance / "demo-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
