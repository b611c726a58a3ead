"""``accord token`` and ``accord collection``: credentials and who may use which collection."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app

from accord.cli.output import app_command, emit, json_option, table, unit_of_work
from accord.db import utcnow
from accord.models.collections import Collection, CollectionGrant, CollectionKind
from accord.services import collections, tokens
from accord.tlp import Tlp

TLP_CHOICES = click.Choice([level.value for level in Tlp], case_sensitive=False)


@click.group("token")
def token_group() -> None:
    """API tokens (shown once, stored hashed)."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, default=["read"], show_default=True,
              help="read, write or admin; repeat or comma-separate.")
@click.option("--expires-days", type=float, default=None, help="Expire after this many days.")
@click.option("--allow-network", "networks", multiple=True,
              help="Only accept the token from this IP or CIDR; repeatable.")
@json_option
@app_command
def token_create(username: str, name: str, scopes: tuple[str, ...], expires_days: float | None,
                 networks: tuple[str, ...], as_json: bool) -> None:
    """Issue a token for USERNAME and print it once."""
    with unit_of_work() as session:
        token, secret = tokens.create_token(session, username, name, scopes, expires_days,
                                            allowed_networks=networks)
        data = {**token.summary(), "token": secret}
    emit(as_json, data, [f"Token for {username} ({', '.join(data['scopes'])}), shown only once:",
                         secret])


@token_group.command("revoke")
@click.argument("token_ref")
@json_option
@app_command
def token_revoke(token_ref: str, as_json: bool) -> None:
    """Revoke a token by id or displayed prefix."""
    with unit_of_work() as session:
        data = tokens.revoke_token(session, token_ref).summary()
    emit(as_json, data, f"Revoked token {data['prefix']}… of {data['user']}")


@token_group.command("list")
@click.option("--user", "username", default=None)
@json_option
@app_command
def token_list(username: str | None, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    with unit_of_work() as session:
        rows = [t.summary() for t in tokens.list_tokens(session, username)]

    def state(row: dict[str, object]) -> str:
        if row["revoked_at"]:
            return "revoked"
        expires = row["expires_at"]
        now = utcnow()
        if isinstance(expires, str) and datetime.fromisoformat(expires) <= now:
            return "expired"
        return "active"

    emit(as_json, rows, table([[r["prefix"] + "…", r["user"], r["name"], ",".join(r["scopes"]),
                                state(r), r["last_used_at"] or "never"] for r in rows],
                              ["TOKEN", "USER", "NAME", "SCOPES", "STATE", "LAST USED"]))


def collection_json(collection: Collection) -> dict[str, object]:
    return {"id": str(collection.id), "title": collection.title, "alias": collection.alias,
            "kind": collection.kind.value, "owner": collection.owner_team.name,
            "default_tlp": collection.default_tlp.value, "allows_red": collection.allows_red,
            "api_root": collection.api_root,
            "agreement_id": str(collection.agreement_id) if collection.agreement_id else None,
            "url": f"{current_app.config['PUBLIC_URL'] or ''}"
                   f"/taxii2/{collection.api_root}/collections/{collection.id}/"}


def grant_json(grant: CollectionGrant) -> dict[str, object]:
    return {"collection_id": str(grant.collection_id), "team": grant.team.name,
            "can_read": grant.can_read, "can_write": grant.can_write,
            "max_tlp": grant.max_tlp.value,
            "agreement_id": str(grant.agreement_id) if grant.agreement_id else None}


@click.group("collection")
def collection_group() -> None:
    """TAXII collections and grants."""


@collection_group.command("create")
@click.argument("title")
@click.option("--owner", required=True, help="Owner team.")
@click.option("--description", default="")
@click.option("--alias", default=None, help="Short name usable instead of the id.")
@click.option("--kind", type=click.Choice([k.value for k in CollectionKind]), default="sharing",
              show_default=True)
@click.option("--default-tlp", type=TLP_CHOICES, default=None,
              help="TLP of objects that carry no TLP marking (default: ACCORD_TAXII_DEFAULT_TLP, "
                   "amber unless set).")
@click.option("--allow-red", is_flag=True, help="Accept TLP:RED objects.")
@click.option("--agreement", default=None,
              help="Make it under this sharing agreement (id or title): its default policy and "
                   "retention apply, and partners' grants end with it.")
@json_option
@app_command
def collection_create(title: str, owner: str, description: str, alias: str | None, kind: str,
                      default_tlp: str | None, allow_red: bool, agreement: str | None,
                      as_json: bool) -> None:
    """Create a collection (its owner team gets read/write)."""
    level = default_tlp or current_app.config["TAXII_DEFAULT_TLP"]
    with unit_of_work() as session:
        data = collection_json(collections.create_collection(
            session, title, owner, description, kind, level, allow_red, alias,
            agreement=agreement))
    emit(as_json, data, f"Created collection {title} ({data['id']})")


@collection_group.command("list")
@json_option
@app_command
def collection_list(as_json: bool) -> None:
    """List collections with their grants."""
    with unit_of_work() as session:
        found = collections.list_collections(session)
        rows = [{**collection_json(c), "grants": [grant_json(g) for g in c.grants]}
                for c in found]
        lines = table([[c.title, c.kind.value, c.owner_team.name, c.default_tlp.value,
                        len(c.grants), c.id] for c in found],
                      ["TITLE", "KIND", "OWNER", "DEFAULT TLP", "GRANTS", "ID"])
    emit(as_json, rows, lines)


@collection_group.command("grant")
@click.argument("collection")
@click.argument("team")
@click.option("--read/--no-read", "can_read", default=True, show_default=True)
@click.option("--write/--no-write", "can_write", default=False, show_default=True)
@click.option("--max-tlp", type=TLP_CHOICES, default="amber", show_default=True)
@click.option("--agreement", default=None,
              help="Grant under this sharing agreement (id or title; default: the collection's "
                   "agreement, if any): the grant works only while it is in force.")
@json_option
@app_command
def collection_grant(collection: str, team: str, can_read: bool, can_write: bool, max_tlp: str,
                     agreement: str | None, as_json: bool) -> None:
    """Let TEAM read and/or write COLLECTION up to a TLP level."""
    with unit_of_work() as session:
        data = grant_json(collections.grant(session, collection, team, can_read, can_write,
                                            max_tlp, agreement=agreement))
    emit(as_json, data, f"Granted {team} on {collection}: read={can_read} write={can_write} "
                        f"max TLP {max_tlp.upper()}")


@collection_group.command("revoke")
@click.argument("collection")
@click.argument("team")
@app_command
def collection_revoke(collection: str, team: str) -> None:
    """Remove TEAM's grant on COLLECTION."""
    with unit_of_work() as session:
        collections.revoke(session, collection, team)
    click.echo(f"Revoked {team} on {collection}")
