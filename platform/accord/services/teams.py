"""Creating teams and trust groups."""

from __future__ import annotations

import re
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.errors import BadRequest, Conflict
from accord.models.teams import Team, TrustGroup, new_identity_id
from accord.services import lookup
from accord.services.fields import fits
from accord.sharing.identifiers import is_stix_id

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def validate_timezone(name: str) -> str:
    """An IANA time zone name, or a BadRequest naming the field."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"timezone: unknown time zone {name!r} "
                         "(use an IANA name such as Asia/Ho_Chi_Minh)") from None
    return name


def create_team(
    session: Session,
    name: str,
    country_code: str,
    contact: str = "",
    timezone: str = "UTC",
    identity_id: str | None = None,
) -> Team:
    """Register a partner team with a fresh STIX identity id, or with ``identity_id``: the
    identity the team uses on its own hub, so objects it created keep it as their origin."""
    name = name.strip()
    if not name:
        raise BadRequest("name: a team needs a name")
    fits(name, Team.name, "name")
    fits(contact, Team.contact, "contact")
    code = country_code.strip().upper()
    if not COUNTRY_CODE.match(code):
        raise BadRequest(f"country_code: {country_code!r} is not a two-letter ISO 3166-1 code")
    if session.scalar(select(Team.id).where(Team.name == name)):
        raise Conflict(f"a team named {name!r} already exists")
    if identity_id is not None:
        identity_id = identity_id.strip().lower()
        if not is_stix_id(identity_id) or not identity_id.startswith("identity--"):
            raise BadRequest(f"identity: {identity_id[:80]!r} is not a STIX identity id "
                             "(identity--<UUID>)")
        if session.scalar(select(Team.id).where(Team.identity_id == identity_id)):
            raise Conflict(f"a team with identity {identity_id!r} already exists")
    team = Team(
        name=name,
        country_code=code,
        contact=contact,
        timezone=validate_timezone(timezone),
        identity_id=identity_id or new_identity_id(),
    )
    session.add(team)
    session.flush()
    audit.record(session, "team.create", target_type="team", target_id=team.id,
                 details={"name": name, "country_code": code})
    return team


def create_trust_group(session: Session, name: str, description: str = "") -> TrustGroup:
    name = name.strip()
    if not name:
        raise BadRequest("name: a trust group needs a name")
    fits(name, TrustGroup.name, "name")
    fits(description, TrustGroup.description, "description")
    if session.scalar(select(TrustGroup.id).where(TrustGroup.name == name)):
        raise Conflict(f"a trust group named {name!r} already exists")
    group = TrustGroup(name=name, description=description)
    session.add(group)
    session.flush()
    audit.record(session, "trust_group.create", target_type="trust_group", target_id=group.id,
                 details={"name": name})
    return group


def add_team_to_group(session: Session, group_name: str, team_name: str) -> TrustGroup:
    group = lookup.trust_group(session, group_name)
    team = lookup.team(session, team_name)
    if team in group.teams:
        raise Conflict(f"team {team.name!r} is already in trust group {group.name!r}")
    group.teams.append(team)
    session.flush()
    audit.record(session, "trust_group.add_team", target_type="trust_group", target_id=group.id,
                 details={"team": team.name})
    return group


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def list_trust_groups(session: Session) -> list[TrustGroup]:
    return list(session.scalars(select(TrustGroup).order_by(TrustGroup.name)))
