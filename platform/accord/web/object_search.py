"""Searching one collection's objects for the web pages, in SQL, under the TAXII TLP policy.

Every query starts from :func:`accord.sharing.query.conditions` (collection, the reader's TLP
policy, type and version filters, as TAXII 2.1 s3.4.1 reads apply them) and only narrows it,
so a page, a count or a filter choice never shows what the reader may not see: no version
expired for recipients, no source hidden by an IEP policy (docs/sharing-rules.md "IEP 2.0
policies"). Pages are keyset
pages on ``date_added``, unique per collection (rule 7), newest first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.sharing import recipient_view
from accord.sharing.query import DatedRows, ObjectFilter, conditions
from accord.sharing.timestamps import parse_timestamp
from accord.tlp import ReadAccess, Tlp
from accord.web import forms

PAGE_SIZE = 50
MAX_TEXT = 200
MAX_TYPE = 250



@dataclass(frozen=True)
class Search:
    """The browse form: text in the document, type, TLP, source team, date added range."""

    text: str = ""
    stix_type: str = ""
    tlp: Tlp | None = None
    source_team: uuid.UUID | None = None
    added_from: date | None = None
    added_to: date | None = None

    def filters(self) -> ObjectFilter:
        """The TAXII-level filters: the latest version of each object, of the chosen type."""
        return ObjectFilter(types=(self.stix_type,) if self.stix_type else ())

    def args(self) -> dict[str, str]:
        """The query-string form of this search, for paging links."""
        values = {"q": self.text, "type": self.stix_type,
                  "tlp": self.tlp.value if self.tlp else "",
                  "team": str(self.source_team) if self.source_team else "",
                  "from": self.added_from.isoformat() if self.added_from else "",
                  "to": self.added_to.isoformat() if self.added_to else ""}
        return {key: value for key, value in values.items() if value}


def parse_search(args: Mapping[str, str]) -> Search:
    """The search in the query string; a bad field is a 400 that names it."""
    text = args.get("q", "").strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"q: search text is limited to {MAX_TEXT} characters")
    stix_type = args.get("type", "").strip()[:MAX_TYPE]
    tlp = forms.tlp_field(args, "tlp")
    raw_team = args.get("team", "").strip()
    try:
        team = uuid.UUID(raw_team) if raw_team else None
    except ValueError:
        raise BadRequest(f"team: {raw_team[:40]!r} is not a team id") from None
    return Search(text=text, stix_type=stix_type, tlp=tlp, source_team=team,
                  added_from=forms.date_field(args, "from"),
                  added_to=forms.date_field(args, "to"))


def cursor(args: Mapping[str, str], name: str) -> datetime | None:
    """A ``before``/``after`` page key (an RFC 3339 ``date_added``); 400 if malformed."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise BadRequest(f"{name}: {raw[:40]!r} is not a page position") from None


def search_conditions(collection_id: uuid.UUID, access: ReadAccess, search: Search
                      ) -> list[ColumnElement[bool]]:
    """The TAXII read conditions narrowed by the search form."""
    where = conditions(collection_id, access, search.filters())
    if search.text:
        # Stored documents are JSON text: escape the needle the same way so quotes and
        # backslashes in a pattern match too; LIKE wildcards are escaped by autoescape.
        needle = json.dumps(search.text, ensure_ascii=False)[1:-1]
        where.append(recipient_view.text_clause(access.team_id, needle))
    if search.tlp is not None:
        where.append(StixObject.tlp == search.tlp)
    if search.source_team is not None:
        where.append(recipient_view.from_team_clause(access.team_id, search.source_team))
    start, end = forms.day_range(search.added_from, search.added_to)
    if start is not None:
        where.append(StixObject.date_added >= start)
    if end is not None:
        where.append(StixObject.date_added < end)
    return where


@dataclass
class ResultPage(DatedRows):
    """One page of matching objects, newest first, and what lies either side of it."""

    total: int = 0
    newer: bool = False
    older: bool = False
    summaries: list[dict[str, str]] = field(default_factory=list)


def summary(document: str) -> dict[str, str]:
    """What a result row shows of an object: its name and its pattern or value."""
    try:
        obj = json.loads(document)
    except ValueError:
        obj = {}
    if not isinstance(obj, dict):
        obj = {}
    detail = obj.get("pattern") or obj.get("value") or obj.get("description") or ""
    name = obj.get("name") or obj.get("value") or obj.get("id") or ""
    return {"name": str(name)[:200], "detail": str(detail)[:300]}


def search_page(session: Session, collection_id: uuid.UUID, access: ReadAccess, search: Search,
                hub_name: str, before: datetime | None = None, after: datetime | None = None,
                limit: int = PAGE_SIZE) -> ResultPage:
    """The page of matches older than ``before`` (or newer than ``after``), newest first;
    a source hidden from the reader by its IEP policy shows as ``hub_name``."""
    where = search_conditions(collection_id, access, search)
    total = int(session.scalar(select(func.count()).select_from(StixObject)
                               .where(and_(*where))) or 0)
    query = select(StixObject.stix_id, StixObject.stix_type, StixObject.tlp,
                   StixObject.version, StixObject.date_added, StixObject.document,
                   StixObject.expires_at, StixObject.iep_policy,
                   recipient_view.source_team_name(access.team_id, hub_name))
    if after is not None:
        rows = list(session.execute(query.where(*where, StixObject.date_added > after)
                                    .order_by(StixObject.date_added).limit(limit)))[::-1]
    else:
        keyed = [*where, StixObject.date_added < before] if before is not None else where
        rows = list(session.execute(query.where(*keyed)
                                    .order_by(StixObject.date_added.desc()).limit(limit)))
    page = ResultPage(rows=rows, total=total, summaries=[summary(row.document) for row in rows])
    if rows:
        page.newer = _any(session, where, StixObject.date_added > rows[0].date_added)
        page.older = _any(session, where, StixObject.date_added < rows[-1].date_added)
    return page


def _any(session: Session, where: list[ColumnElement[bool]], edge: ColumnElement[bool]) -> bool:
    return bool(session.scalar(select(exists().where(*where, edge))))


def choices(session: Session, collection_id: uuid.UUID, access: ReadAccess
            ) -> tuple[list[str], list[tuple[uuid.UUID, str]]]:
    """The types and source teams among the objects the reader may see (for the form); a team
    whose only objects hide their source from the reader is not offered."""
    where = conditions(collection_id, access, ObjectFilter())
    types = list(session.scalars(select(StixObject.stix_type).where(*where).distinct()
                                 .order_by(StixObject.stix_type)))
    named = [*where, ~recipient_view.hidden_from_clause(access.team_id)]
    teams = session.execute(select(Team.id, Team.name).where(
        Team.id.in_(select(StixObject.source_team_id).where(*named))).order_by(Team.name))
    return types, [(row.id, row.name) for row in teams]
