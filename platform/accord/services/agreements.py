"""Sharing agreements (issue 17): create, change, end, find and describe them.

An agreement names the providing team (its owner), the partner teams, the purpose and legal
basis, the default FIRST IEP 2.0 policy of what is shared under it, a retention period and its
term. Collections and grants made under an agreement stop working for partners when it ends
(:func:`accord.authz.grant_in_force`). Every change is audited (ARCHITECTURE rule 6); bad input
is a 400 naming the field, an unknown team a 400 naming it, a duplicate title a 409 (rule 2).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.errors import BadRequest, Conflict, NotFound
from accord.iep import IepError, IepPolicy, parse_policy
from accord.models.agreements import Agreement, agreement_parties
from accord.models.teams import Team
from accord.services import lookup
from accord.services.fields import fits, whole_number

MAX_RETENTION_DAYS = 36_500
EDITABLE = ("title", "purpose", "legal_basis", "partners", "default_policy", "retention_days",
            "starts_at", "ends_at")


def parse_moment(value: object, field: str) -> datetime:
    """A UTC datetime from a datetime, a ``YYYY-MM-DD`` date (midnight UTC) or an RFC 3339
    timestamp; a 400 naming ``field`` otherwise (naive times are read as UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    text = str(value).strip() if isinstance(value, str) else ""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{field}: {str(value)[:40]!r} is not a date (YYYY-MM-DD) or an "
                         "RFC 3339 timestamp")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_default_policy(data: object) -> dict[str, Any] | None:
    """The stored form of a default IEP policy (None for none); 400 naming the bad statement."""
    if data is None or data == {}:
        return None
    if not isinstance(data, Mapping):
        raise BadRequest("default_policy: an IEP policy is a JSON object of statements")
    try:
        policy = parse_policy(data)
    except IepError as exc:
        raise BadRequest(f"default_policy: {exc}") from None
    return policy.to_json() or None


def policy_of(agreement: Agreement) -> IepPolicy | None:
    """The agreement's default policy as an :class:`~accord.iep.IepPolicy`."""
    return parse_policy(agreement.default_policy) if agreement.default_policy else None


def _retention(value: object) -> int | None:
    if value is None or value == "":
        return None
    return whole_number(value, "retention_days", minimum=1, maximum=MAX_RETENTION_DAYS)


def _text(value: object, field: str, *, required: bool) -> str:
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{field}: must be text")
    text = (value or "").strip()
    if required and not text:
        raise BadRequest(f"{field}: an agreement needs a {field.replace('_', ' ')}")
    return text


def _partners(session: Session, names: Iterable[str], owner: Team) -> list[Team]:
    found: dict[uuid.UUID, Team] = {}
    for name in names:
        try:
            team = lookup.team(session, str(name).strip())
        except NotFound:
            raise BadRequest(f"partners: unknown team {str(name)[:120]!r}") from None
        if team.id == owner.id:
            raise BadRequest(f"partners: {team.name!r} is the providing team, not a partner")
        found[team.id] = team
    if not found:
        raise BadRequest("partners: an agreement needs at least one partner team")
    return sorted(found.values(), key=lambda team: team.name)


def _check_title(session: Session, title: str, agreement_id: uuid.UUID | None = None) -> None:
    fits(title, Agreement.title, "title")
    query = select(Agreement.id).where(Agreement.title == title)
    if agreement_id is not None:
        query = query.where(Agreement.id != agreement_id)
    if session.scalar(query) is not None:
        raise Conflict(f"an agreement titled {title!r} already exists")


def _check_term(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise BadRequest("ends_at: the agreement must end after it starts "
                         f"({starts_at:%Y-%m-%d %H:%M} UTC)")


def create_agreement(session: Session, title: str, owner_team: str, purpose: str,
                     partners: Sequence[str], *, legal_basis: str = "",
                     default_policy: Mapping[str, Any] | None = None,
                     retention_days: object = None, starts_at: object = None,
                     ends_at: object = None) -> Agreement:
    """Create an agreement between ``owner_team`` (the providing team) and ``partners``."""
    title = _text(title, "title", required=True)
    _check_title(session, title)
    try:
        owner = lookup.team(session, owner_team)
    except NotFound:
        raise BadRequest(f"owner_team: unknown team {owner_team[:120]!r}") from None
    start = parse_moment(starts_at, "starts_at") if starts_at not in (None, "") else utcnow()
    end = parse_moment(ends_at, "ends_at") if ends_at not in (None, "") else None
    _check_term(start, end)
    agreement = Agreement(
        title=title, purpose=_text(purpose, "purpose", required=True),
        legal_basis=_text(legal_basis, "legal_basis", required=False),
        owner_team_id=owner.id, owner_team=owner,
        default_policy=parse_default_policy(default_policy),
        retention_days=_retention(retention_days), starts_at=start, ends_at=end)
    agreement.parties = _partners(session, partners, owner)
    session.add(agreement)
    session.flush()
    audit.record(session, "agreement.create", target_type="agreement", target_id=agreement.id,
                 details={"title": title, "owner": owner.name,
                          "partners": [team.name for team in agreement.parties],
                          "default_policy": agreement.default_policy,
                          "retention_days": agreement.retention_days,
                          "starts_at": start.isoformat(),
                          "ends_at": end.isoformat() if end else None})
    return agreement


def update_agreement(session: Session, ref: str, changes: Mapping[str, Any]) -> Agreement:
    """Change the fields named in ``changes`` (see :data:`EDITABLE`); audit what changed."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    agreement = get_agreement(session, ref)
    changed: dict[str, Any] = {}
    if "title" in changes:
        title = _text(changes["title"], "title", required=True)
        _check_title(session, title, agreement.id)
        agreement.title = changed["title"] = title
    for field in ("purpose", "legal_basis"):
        if field in changes:
            value = _text(changes[field], field, required=field == "purpose")
            setattr(agreement, field, value)
            changed[field] = value
    if "partners" in changes:
        names = changes["partners"]
        if not isinstance(names, list | tuple):
            raise BadRequest("partners: a list of team names")
        agreement.parties = _partners(session, names, agreement.owner_team)
        changed["partners"] = [team.name for team in agreement.parties]
    if "default_policy" in changes:
        agreement.default_policy = parse_default_policy(changes["default_policy"])
        changed["default_policy"] = agreement.default_policy
    if "retention_days" in changes:
        agreement.retention_days = changed["retention_days"] = _retention(
            changes["retention_days"])
    if "starts_at" in changes:
        agreement.starts_at = parse_moment(changes["starts_at"], "starts_at")
        changed["starts_at"] = agreement.starts_at.isoformat()
    if "ends_at" in changes:
        raw = changes["ends_at"]
        agreement.ends_at = parse_moment(raw, "ends_at") if raw not in (None, "") else None
        changed["ends_at"] = agreement.ends_at.isoformat() if agreement.ends_at else None
    _check_term(agreement.starts_at, agreement.ends_at)
    session.flush()
    audit.record(session, "agreement.update", target_type="agreement", target_id=agreement.id,
                 details={"title": agreement.title, "changed": changed})
    return agreement


def end_agreement(session: Session, ref: str, at: object = None) -> Agreement:
    """End the agreement at ``at`` (default: now). Grants made under it stop working then."""
    agreement = get_agreement(session, ref)
    moment = parse_moment(at, "at") if at not in (None, "") else utcnow()
    if agreement.ends_at is not None and agreement.ends_at <= utcnow():
        raise Conflict(f"agreement {agreement.title!r} already ended on "
                       f"{agreement.ends_at:%Y-%m-%d %H:%M} UTC")
    if moment <= agreement.starts_at:
        raise BadRequest(f"at: the agreement starts on {agreement.starts_at:%Y-%m-%d %H:%M} UTC;"
                         " it cannot end before that")
    agreement.ends_at = moment
    session.flush()
    audit.record(session, "agreement.end", target_type="agreement", target_id=agreement.id,
                 details={"title": agreement.title, "ends_at": moment.isoformat()})
    return agreement


def get_agreement(session: Session, ref: str) -> Agreement:
    """An agreement by id or exact title; 404 naming the reference otherwise."""
    try:
        ident: uuid.UUID | None = uuid.UUID(str(ref))
    except ValueError:
        ident = None
    found = session.get(Agreement, ident) if ident else None
    found = found or session.scalar(select(Agreement).where(Agreement.title == ref))
    if found is None:
        raise NotFound(f"unknown agreement {str(ref)[:120]!r}")
    return found


def list_agreements(session: Session, team_id: uuid.UUID | None = None) -> list[Agreement]:
    """Every agreement (``team_id`` None) or those the team is a party to, by start then title."""
    query = select(Agreement).order_by(Agreement.starts_at.desc(), Agreement.title)
    if team_id is not None:
        partner = select(agreement_parties.c.agreement_id).where(
            agreement_parties.c.team_id == team_id)
        query = query.where(or_(Agreement.owner_team_id == team_id, Agreement.id.in_(partner)))
    return list(session.scalars(query))


def is_party(agreement: Agreement, team_id: uuid.UUID) -> bool:
    """Whether the team is the providing team or a partner of the agreement."""
    return team_id == agreement.owner_team_id or any(t.id == team_id for t in agreement.parties)


def status(agreement: Agreement, now: datetime | None = None) -> str:
    """``active``, ``ended`` or ``not started`` at ``now`` (default: the hub's now)."""
    moment = now or utcnow()
    if agreement.active_at(moment):
        return "active"
    return "not started" if moment < agreement.starts_at else "ended"
