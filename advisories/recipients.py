"""Who an advisory goes to: named teams, trust groups, or every constituent of the centre."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from accord.models.teams import Team
from accord.services import lookup


def resolve(session: Session, issuer: Team, *, teams: Iterable[str] = (),
            groups: Iterable[str] = (), all_constituents: bool = False) -> list[Team]:
    """The recipient teams, each once, by name; the issuer itself is never a recipient.

    Unknown team or group names are a 400 naming them (``lookup`` raises with the name).
    """
    chosen: dict[str, Team] = {}
    if all_constituents:
        for team in session.scalars(select(Team).order_by(Team.name)):
            chosen[team.name] = team
    for name in teams:
        team = lookup.team(session, name)
        chosen[team.name] = team
    for name in groups:
        for team in lookup.trust_group(session, name).teams:
            chosen[team.name] = team
    chosen.pop(issuer.name, None)
    if not chosen:
        raise BadRequest("recipients: name at least one team, trust group or all constituents")
    return [chosen[name] for name in sorted(chosen)]
