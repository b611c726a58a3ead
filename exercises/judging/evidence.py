"""Finding the evidence for an expected action in hub records, timed by the hub.

- ``acknowledge``: the team's first acknowledgement of the inject.
- ``response``: the team's first response or decision naming that action (one of the options,
  when the action lists decision options); an answer counts for the one action it names. A
  *joint* decision is made when every team the action names has signed off on the same option.
- ``stix``: the team's first matching write to the exercise's play collection, by the server's
  ``date_added``: an indicator with a given pattern, a sighting of a given indicator, a
  revocation or a new version of an object.

Only what happened after the inject was released counts, and only what the teams wrote: the
objects EXCON published with injects are not anyone's evidence.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from accord.models.stix import StixObject
from accord.sharing.exercise_separation import is_exercise_object
from accord.tlp import TLP2_MARKING_IDS
from exercises.models import Exercise, ExerciseInject, ExerciseResponse
from exercises.runs.marking import EXERCISE_MARKING_ID, run_id
from exercises.scenarios.per_team import for_team, team_stix_ids

WHITESPACE = re.compile(r"\s+")
RECEIPT_ACTIONS = ("taxii.read.objects", "taxii.read.object", "taxii.read.versions")
ANSWER_KINDS = ("response", "decision", "signoff")


@dataclass(frozen=True)
class Evidence:
    """When the evidence appeared (hub time) and what it was."""

    at: datetime
    detail: dict[str, Any]


@dataclass
class StixRecord:
    """One stored object version written by a team, parsed once."""

    stix_id: str
    stix_type: str
    date_added: datetime
    revoked: bool
    is_new_version: bool
    document: dict[str, Any]
    tlp: str = ""

    @property
    def marked(self) -> bool:
        """Whether the team marked or labelled it as exercise data, as it should."""
        return is_exercise_object(self.document)

    @property
    def pattern(self) -> str:
        return str(self.document.get("pattern", ""))


def _squash(pattern: str) -> str:
    return WHITESPACE.sub("", pattern)


@dataclass
class EvidenceIndex:
    """An exercise's responses and play-collection writes, loaded once per evaluation."""

    exercise: Exercise
    responses: dict[tuple[uuid.UUID, uuid.UUID], list[ExerciseResponse]] = field(
        default_factory=lambda: defaultdict(list))
    stix: dict[uuid.UUID, list[StixRecord]] = field(default_factory=lambda: defaultdict(list))
    patterns: dict[str, str] = field(default_factory=dict)
    receipts: dict[tuple[uuid.UUID, str], list[datetime]] = field(
        default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, session: Session, exercise: Exercise) -> EvidenceIndex:
        index = cls(exercise)
        for response in session.scalars(select(ExerciseResponse).where(
                ExerciseResponse.exercise_id == exercise.id).order_by(ExerciseResponse.created_at)):
            index.responses[(response.inject_id, response.team_id)].append(response)
        seen: set[str] = set()
        published = {run_id(exercise.id, sid) for inject in exercise.document["injects"]
                     for sid in (obj["id"] for obj in inject["stix"])}
        published |= {run_id(exercise.id, sid) for inject in exercise.document["injects"]
                      for sid in team_stix_ids(inject)}
        published |= {EXERCISE_MARKING_ID, *TLP2_MARKING_IDS.values()}
        rows = session.scalars(select(StixObject).where(
            StixObject.collection_id == exercise.collection_id).order_by(StixObject.date_added))
        for row in rows:
            document = json.loads(row.document)
            if row.stix_type == "indicator":
                index.patterns[row.stix_id] = str(document.get("pattern", ""))
            if row.stix_id in published:
                continue
            index.stix[row.source_team_id].append(StixRecord(
                stix_id=row.stix_id, stix_type=row.stix_type, date_added=row.date_added,
                revoked=bool(row.revoked or document.get("revoked") is True),
                is_new_version=row.stix_id in seen, document=document, tlp=row.tlp.value))
            seen.add(row.stix_id)
        index._load_receipts(session)
        return index

    def _load_receipts(self, session: Session) -> None:
        """TAXII reads of the run's collections that returned objects (audited by the TAXII
        server, docs/ARCHITECTURE.md rule 6), per team and collection."""
        collections = {str(self.exercise.collection_id),
                       *(str(t.briefing_collection_id) for t in self.exercise.teams)}
        reads = session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(RECEIPT_ACTIONS), AuditEvent.outcome == "success",
            AuditEvent.target_type == "collection", AuditEvent.target_id.in_(collections)
        ).order_by(AuditEvent.occurred_at))
        for read in reads:
            if read.team_id is not None and int((read.details or {}).get("objects") or 0) > 0:
                self.receipts[(read.team_id, str(read.target_id))].append(read.occurred_at)

    def _ids(self, scenario_or_run_id: str) -> set[str]:
        """A referenced id as written in the scenario and as rewritten for this run."""
        return {scenario_or_run_id, run_id(self.exercise.id, scenario_or_run_id)}

    def _matches(self, record: StixRecord, match: dict[str, Any]) -> bool:
        kind = match["object"]
        if "tlp" in match and record.tlp != match["tlp"]:
            return False
        if kind == "indicator":
            if record.stix_type != "indicator":
                return False
            if "pattern" in match and _squash(record.pattern) != _squash(match["pattern"]):
                return False
            return "pattern_contains" not in match or match["pattern_contains"] in record.pattern
        if kind == "sighting":
            if record.stix_type != "sighting":
                return False
            target = str(record.document.get("sighting_of_ref", ""))
            if "sighting_of" in match and target not in self._ids(match["sighting_of"]):
                return False
            return ("pattern_contains" not in match
                    or match["pattern_contains"] in self.patterns.get(target, ""))
        if kind == "created":
            name = str(record.document.get("name", "")) + str(record.document.get("content", ""))
            return (record.stix_type == match["type"] and not record.is_new_version
                    and ("name_contains" not in match or match["name_contains"] in name)
                    and ("pattern_contains" not in match
                         or match["pattern_contains"] in record.pattern))
        if kind == "revocation" and not record.revoked:
            return False
        if kind == "new_version" and not record.is_new_version:
            return False
        if "of" in match and record.stix_id not in self._ids(match["of"]):
            return False
        return "pattern_contains" not in match or match["pattern_contains"] in record.pattern

    def _note_about(self, team_id: uuid.UUID, since: datetime, stix_id: str
                    ) -> datetime | None:
        for record in self.stix.get(team_id, []):
            if (record.stix_type == "note" and record.date_added >= since
                    and stix_id in (record.document.get("object_refs") or [])):
                return record.date_added
        return None

    def stix_evidence(self, team_id: uuid.UUID, since: datetime, match: dict[str, Any]
                      ) -> Evidence | None:
        """The first write (or set of writes, for ``all_of``) satisfying ``match``."""
        if "any_of" in match:
            found = [e for rule in match["any_of"]
                     if (e := self.stix_evidence(team_id, since, rule)) is not None]
            return min(found, key=lambda e: e.at) if found else None
        if "all_of" in match:
            parts = [self.stix_evidence(team_id, since, rule) for rule in match["all_of"]]
            complete = [part for part in parts if part is not None]
            if len(complete) < len(parts) or not complete:
                return None
            return Evidence(max(part.at for part in complete),
                            {"all_of": [part.detail for part in complete]})
        best: Evidence | None = None
        for record in self.stix.get(team_id, []):
            if record.date_added < since or not self._matches(record, match):
                continue
            at = record.date_added
            detail: dict[str, Any] = {
                "stix_id": record.stix_id, "type": record.stix_type,
                "date_added": record.date_added.isoformat(), "revoked": record.revoked,
                "new_version": record.is_new_version, "tlp": record.tlp}
            if match.get("with_note"):
                noted = self._note_about(team_id, since, record.stix_id)
                if noted is None:
                    continue
                at, detail["note_at"] = max(at, noted), noted.isoformat()
            if best is None or at < best.at:
                best = Evidence(at, detail)
        return best

    def receipt_evidence(self, inject: ExerciseInject, team_id: uuid.UUID) -> Evidence | None:
        """The team's first TAXII read, after release, of where the inject's objects went."""
        spec = next(i for i in self.exercise.document["injects"] if i["id"] == inject.key)
        team = next((t for t in self.exercise.teams if t.team_id == team_id), None)
        places = set()
        if spec["stix"]:
            places.add(self.exercise.collection_id if spec["audience"] == "all" or team is None
                       else team.briefing_collection_id)
        if team is not None and for_team(spec, team.placeholder)["stix"]:
            places.add(team.briefing_collection_id)
        assert inject.released_at is not None
        reads = [(moment, str(place)) for place in places
                 for moment in self.receipts.get((team_id, str(place)), [])
                 if moment >= inject.released_at]
        if not reads:
            return None
        moment, place = min(reads)
        return Evidence(moment, {"kind": "taxii_read", "collection": place})

    def response_evidence(self, inject: ExerciseInject, team_id: uuid.UUID, kind: str,
                          action: dict[str, Any]) -> Evidence | None:
        options = action.get("decision_options")
        for response in self.responses.get((inject.id, team_id), []):
            if kind == "acknowledge" and response.kind != "acknowledge":
                continue
            if kind == "response":
                if response.kind not in ANSWER_KINDS:
                    continue
                if response.action_key != action["id"]:
                    continue
                if options and response.decision not in options:
                    continue
            return Evidence(response.created_at, {
                "response_id": str(response.id), "kind": response.kind,
                "author": response.author, "decision": response.decision})
        return None

    def joint_evidence(self, inject: ExerciseInject, action: dict[str, Any],
                       team_ids: list[uuid.UUID]) -> Evidence | None:
        """When the last of ``team_ids`` signed off, if all now agree on one option."""
        options = action.get("decision_options")
        latest: dict[uuid.UUID, ExerciseResponse] = {}
        for team_id in team_ids:
            for response in self.responses.get((inject.id, team_id), []):
                if (response.kind in ("decision", "signoff") and response.decision
                        and response.action_key == action["id"]
                        and (not options or response.decision in options)):
                    latest[team_id] = response  # responses are in time order: the last counts
        decisions = {response.decision for response in latest.values()}
        if len(latest) < len(team_ids) or len(decisions) != 1:
            return None
        last = max(latest.values(), key=lambda response: response.created_at)
        return Evidence(last.created_at, {
            "kind": "joint_decision", "decision": last.decision,
            "signed_off_by": sorted(response.author for response in latest.values())})

    def find(self, inject: ExerciseInject, team_id: uuid.UUID, action: dict[str, Any]
             ) -> Evidence | None:
        """The first evidence for ``action`` by ``team_id`` after ``inject`` was released."""
        kind = action["evidence"]
        if inject.released_at is None or kind == "manual":
            return None
        if kind == "stix":
            return self.stix_evidence(team_id, inject.released_at, action["match"])
        if kind == "receipt":
            return self.receipt_evidence(inject, team_id)
        return self.response_evidence(inject, team_id, kind, action)

    def first_share(self, team_id: uuid.UUID, since: datetime | None) -> datetime | None:
        """When the team first wrote anything to the play collection (time to first share)."""
        for record in self.stix.get(team_id, []):
            if since is None or record.date_added >= since:
                return record.date_added
        return None
