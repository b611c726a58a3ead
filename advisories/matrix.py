"""The coordinator's matrix: constituents × steps, who is late and by how much, and the
figures leadership asks for (time to acknowledge, time to mitigate)."""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.models.teams import TrustGroup, trust_group_members
from advisories.models import Advisory, AdvisoryRecipient, Evidence
from advisories.responses import evidence_time


@dataclass(frozen=True)
class Step:
    """One step of one team: done (when) or not, and how late against its deadline."""

    done_at: datetime | None
    deadline: datetime | None
    now: datetime

    @property
    def late_seconds(self) -> float | None:
        """Seconds past the deadline (done late, or still open past it); None when on time."""
        if self.deadline is None:
            return None
        end = self.done_at or self.now
        late = (end - self.deadline).total_seconds()
        return late if late > 0 else None

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "late" if self.late_seconds else "done"
        return "overdue" if self.late_seconds else "open"


def steps(session: Session, advisory: Advisory, row: AdvisoryRecipient,
          now: datetime) -> dict[str, Step]:
    ack_deadline = advisory.issued_at + timedelta(seconds=advisory.ack_within_seconds)
    status_deadline = advisory.issued_at + timedelta(seconds=advisory.status_within_seconds)
    found = {
        "acknowledged": Step(row.acknowledged_at, ack_deadline, now),
        "update acknowledged": Step(
            row.acknowledged_at if row.acknowledged_version >= advisory.version else None,
            None, now),
        "status": Step(row.status_at, status_deadline, now),
    }
    if advisory.evidence != Evidence.NONE:
        found["evidence"] = Step(evidence_time(session, advisory, row), status_deadline, now)
    return found


def team_groups(session: Session, advisory: Advisory) -> dict[uuid.UUID, list[str]]:
    """Each recipient team's trust group names, sorted, in one query (not one per team)."""
    found: dict[uuid.UUID, list[str]] = {row.team_id: [] for row in advisory.recipients}
    listed = session.execute(
        select(trust_group_members.c.team_id, TrustGroup.name)
        .join(TrustGroup, TrustGroup.id == trust_group_members.c.trust_group_id)
        .join(AdvisoryRecipient, AdvisoryRecipient.team_id == trust_group_members.c.team_id)
        .where(AdvisoryRecipient.advisory_id == advisory.id)
        .order_by(TrustGroup.name))
    for team_id, name in listed:
        found.setdefault(team_id, []).append(name)
    return found


def rows(session: Session, advisory: Advisory, group: str | None = None,
         memberships: dict[uuid.UUID, list[str]] | None = None) -> list[dict[str, Any]]:
    """One row per recipient (optionally only members of trust group ``group``)."""
    now = utcnow()
    result = []
    if memberships is None:
        memberships = team_groups(session, advisory)
    for row in advisory.recipients:
        groups = memberships.get(row.team_id, [])
        if group and group not in groups:
            continue
        found = steps(session, advisory, row, now)
        result.append({
            "team": row.team_name, "groups": groups,
            "delivered_at": row.delivered_at,
            "status": row.status.value if row.status else None,
            "status_note": row.status_note,
            "steps": {name: {"state": step.state, "at": step.done_at,
                             "late_seconds": step.late_seconds}
                      for name, step in found.items()},
            "reminded": row.ack_reminded_at is not None or row.status_reminded_at is not None,
            "escalated": row.ack_escalated_at is not None
            or row.status_escalated_at is not None,
            "time_to_acknowledge": _seconds(advisory.issued_at, row.acknowledged_at),
            "time_to_mitigate": _seconds(advisory.issued_at, row.mitigated_at),
        })
    return result


@dataclass(frozen=True)
class MatrixView:
    """The matrix of one advisory as both the API and the page present it."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    steps: list[str]
    groups: list[str]
    group: str | None


def build(session: Session, advisory: Advisory, group: str | None = None) -> MatrixView:
    """The one computation of the matrix (API, page, live region, CSV): rows, summary, step
    names and the trust groups to filter by. Evidence times found are stored on the rows, so
    the caller commits."""
    memberships = team_groups(session, advisory)
    found = rows(session, advisory, group, memberships)
    names = ["acknowledged", "update acknowledged", "status"]
    if advisory.evidence != Evidence.NONE:
        names.append("evidence")
    groups = sorted({name for listed in memberships.values() for name in listed})
    return MatrixView(found, summary(found), names, groups, group)


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def summary(matrix: list[dict[str, Any]]) -> dict[str, Any]:
    """Distributions and the late list, for a report to leadership."""
    def dist(key: str) -> dict[str, float | int | None]:
        values = [r[key] for r in matrix if r[key] is not None]
        return {"count": len(values),
                "median": statistics.median(values) if values else None,
                "max": max(values) if values else None}
    late = sorted({r["team"] for r in matrix
                   for step in r["steps"].values() if step["state"] in ("late", "overdue")})
    return {"recipients": len(matrix), "time_to_acknowledge": dist("time_to_acknowledge"),
            "time_to_mitigate": dist("time_to_mitigate"), "late": late}


def to_csv(matrix: list[dict[str, Any]]) -> str:
    """The matrix as CSV: a row per team, a state and lateness column per step."""
    names = list(matrix[0]["steps"]) if matrix else []
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["team", "groups", "status",
                     *[c for n in names for c in (n, f"{n} at", f"{n} late (s)")]])
    for row in matrix:
        cells = [row["team"], ";".join(row["groups"]), row["status"] or ""]
        for name in names:
            step = row["steps"][name]
            cells += [step["state"], step["at"].isoformat() if step["at"] else "",
                      f"{step['late_seconds']:.0f}" if step["late_seconds"] else ""]
        writer.writerow(cells)
    return out.getvalue()
