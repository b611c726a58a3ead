"""``accord team``, ``accord trust-group`` and ``accord user``."""

from __future__ import annotations

import click

from accord.cli.output import (
    CommandError,
    app_command,
    emit,
    json_option,
    read_secret_stdin,
    table,
    unit_of_work,
)
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.services import teams, users


def team_json(team: Team) -> dict[str, object]:
    return {"id": str(team.id), "name": team.name, "country_code": team.country_code,
            "contact": team.contact, "identity_id": team.identity_id, "timezone": team.timezone}


def user_json(user: User) -> dict[str, object]:
    return {"id": str(user.id), "username": user.username, "team": user.team.name,
            "role": user.role.value, "active": user.active}


@click.group("team")
def team_group() -> None:
    """Partner teams."""


@team_group.command("create")
@click.argument("name")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code, e.g. VN.")
@click.option("--contact", default="", help="Contact address of the team.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--identity", "identity_id", default=None,
              help="The team's own STIX identity id (a partner on another hub), so objects it "
                   "created keep it as their origin here; new one if omitted.")
@json_option
@app_command
def team_create(name: str, country_code: str, contact: str, timezone: str,
                identity_id: str | None, as_json: bool) -> None:
    """Register a partner team."""
    with unit_of_work() as session:
        team = teams.create_team(session, name, country_code, contact, timezone, identity_id)
        data = team_json(team)
    emit(as_json, data, f"Created team {name} ({data['id']}, {data['identity_id']})")


@team_group.command("list")
@json_option
@app_command
def team_list(as_json: bool) -> None:
    """List teams."""
    with unit_of_work() as session:
        rows = [team_json(t) for t in teams.list_teams(session)]
    emit(as_json, rows, table([[r["name"], r["country_code"], r["timezone"], r["id"]]
                               for r in rows], ["NAME", "CC", "TIMEZONE", "ID"]))


@click.group("trust-group")
def trust_group_group() -> None:
    """Trust groups (communities of teams)."""


@trust_group_group.command("create")
@click.argument("name")
@click.option("--description", default="")
@json_option
@app_command
def trust_group_create(name: str, description: str, as_json: bool) -> None:
    """Create a trust group."""
    with unit_of_work() as session:
        group = teams.create_trust_group(session, name, description)
        data = {"id": str(group.id), "name": group.name}
    emit(as_json, data, f"Created trust group {name} ({data['id']})")


@trust_group_group.command("add-team")
@click.argument("group")
@click.argument("team")
@json_option
@app_command
def trust_group_add_team(group: str, team: str, as_json: bool) -> None:
    """Add TEAM to trust group GROUP."""
    with unit_of_work() as session:
        found = teams.add_team_to_group(session, group, team)
        data = {"id": str(found.id), "name": found.name, "teams": [t.name for t in found.teams]}
    emit(as_json, data, f"Added {team} to {group}")


@trust_group_group.command("list")
@json_option
@app_command
def trust_group_list(as_json: bool) -> None:
    """List trust groups and their teams."""
    with unit_of_work() as session:
        found = teams.list_trust_groups(session)
        rows = [{"id": str(g.id), "name": g.name, "teams": [t.name for t in g.teams]}
                for g in found]
        lines = table([[g.name, ", ".join(t.name for t in g.teams)] for g in found],
                      ["NAME", "TEAMS"])
    emit(as_json, rows, lines)


@click.group("user")
def user_group() -> None:
    """Users and service accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--team", required=True, help="Team name or id.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="analyst",
              show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="Service account that only uses tokens.")
@click.option("--display-name", default="")
@click.option("--email", default="")
@json_option
@app_command
def user_create(username: str, team: str, role: str, password_stdin: bool, no_password: bool,
                display_name: str, email: str, as_json: bool) -> None:
    """Create a user; the password is prompted for unless given on stdin."""
    password: str | None
    if no_password and password_stdin:
        raise CommandError("give either --password-stdin or --no-password, not both")
    if no_password:
        password = None
    elif password_stdin:
        password = read_secret_stdin()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        data = user_json(users.create_user(session, username, team, role, password,
                                           display_name, email))
    emit(as_json, data, f"Created {role} {username} in {data['team']} ({data['id']})")


@user_group.command("list")
@click.option("--team", default=None)
@json_option
@app_command
def user_list(team: str | None, as_json: bool) -> None:
    """List users."""
    with unit_of_work() as session:
        rows = [user_json(u) for u in users.list_users(session, team)]
    emit(as_json, rows, table([[r["username"], r["team"], r["role"], "yes" if r["active"] else "no"]
                               for r in rows], ["USERNAME", "TEAM", "ROLE", "ACTIVE"]))


@user_group.command("deactivate")
@click.argument("username")
@json_option
@app_command
def user_deactivate(username: str, as_json: bool) -> None:
    """Deactivate a user; their tokens stop working at once."""
    with unit_of_work() as session:
        data = user_json(users.deactivate_user(session, username))
    emit(as_json, data, f"Deactivated {username}")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@app_command
def user_set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    password = read_secret_stdin() if password_stdin else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise CommandError("empty password")
    with unit_of_work() as session:
        users.set_password(session, username, password)
    click.echo(f"Password changed for {username}")
