"""``accord serve`` (production server) and ``accord demo`` (a hub with sample data)."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app

from accord.app import create_app
from accord.cli.output import CommandError, app_command
from accord.demo import DemoCredentials, seed_demo
from accord.migrate import NotMigrated, check_migrated, upgrade
from accord.serving import serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", "with_scheduler", default=None,
              help="Also run the scheduler (feeds, exercise injects) beside the server; "
                   "default: ACCORD_SCHEDULER_EMBEDDED.")
@app_command
def serve_command(host: str, port: int, workers: int, threads: int,
                  with_scheduler: bool | None) -> None:
    """Serve the hub with gunicorn (refuses an un-migrated database)."""
    try:
        check_migrated(current_app)
    except NotMigrated as exc:
        raise CommandError(str(exc)) from None
    embedded = current_app.config["SCHEDULER_EMBEDDED"] if with_scheduler is None \
        else with_scheduler
    serve(current_app._get_current_object(), host, port, workers, threads,  # type: ignore[attr-defined]
          with_scheduler=bool(embedded))


def _print_credentials(base_url: str, creds: DemoCredentials) -> None:
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
    instance = Path(instance_path or "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    database_file = instance / "accord-demo.sqlite3"
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database_file}{suffix}").unlink(missing_ok=True)
    app = create_app({"ENV": "demo", "INSTANCE_PATH": str(instance),
                      "DATABASE_URL": f"sqlite:///{database_file}",
                      "SECRET_KEY": _demo_secret(instance)})
    upgrade(app)
    creds = seed_demo(app)
    _print_credentials(f"http://{host}:{port}", creds)
    if not no_serve:
        serve(app, host, port, workers=1, threads=8, with_scheduler=True)


def _demo_secret(instance: Path) -> str:
    """A per-instance secret so demo sessions survive restarts (demo mode only)."""
    path = instance / "demo-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
