"""Sharing rules at every hop of a feed (ARCHITECTURE rules 3 and 5, loop prevention).

The TLP rules are not written here: :func:`accord.tlp.may_sync` derives them from the read
rule (a feed is automation reading for the other side), and exercise separation is the core's
(:mod:`accord.sharing.exercise_separation`). Each check returns ``None`` when an object may
move, or the reason it may not; the engine counts and records those reasons in the
:class:`~feeds.models.FeedRun`.
"""

from __future__ import annotations

from collections.abc import Collection as Ids
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.errors import BadRequest, Conflict
from accord.iep import IepError, policy_in_marking
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.sharing.carried import EXPIRED, NEEDS_ENCRYPTION, is_expired, needs_encryption
from accord.sharing.exercise_separation import is_exercise_collection, is_exercise_data
from accord.sharing.policies import batch_policies
from accord.tlp import BatchTlp, Tlp, declared_levels, may_sync, sync_ceilings
from feeds.models import FeedKind, FeedSource

DROP_RED = "TLP:RED is never synced automatically"
DROP_STRICT = "TLP:AMBER+STRICT from another team never leaves the team it was shared with"
DROP_EXERCISE = "exercise data never enters a live feed"
DROP_CONTESTED = "a version written by a team that is not the object's origin"


def assert_live_collection(collection: Collection) -> None:
    """Refuse (409) an exercise collection as the source or target of a live feed (rule 5)."""
    if is_exercise_collection(collection):
        raise Conflict(f"collection {collection.title!r} is an exercise collection and cannot be "
                       "the source or target of a live feed")


def sends_own(kind: FeedKind) -> bool:
    """Pushes and lists move the local team's own objects; pulls move the partner's."""
    return kind != FeedKind.TAXII_PULL


def check_ceiling(kind: FeedKind, level: Tlp) -> Tlp:
    """A feed's max TLP, or 400 if no object at that level could ever be synced."""
    allowed = sync_ceilings(own=sends_own(kind))
    if level not in allowed:
        why = "TLP:RED is never synced by a feed, whatever its settings" if level == Tlp.RED \
            else "TLP:AMBER+STRICT of another team is never pulled: it stays with the team " \
                 "it was shared with"
        raise BadRequest(f"max_tlp: {level.value} is not allowed for {kind.value} feeds ({why});"
                         f" use one of {', '.join(tlp.value for tlp in allowed)}")
    return level


@lru_cache(maxsize=256)
def _reason(level: Tlp, ceiling: Tlp, own: bool) -> str | None:
    """Why ``level`` may not move under ``ceiling`` (memoised: a few levels, asked per object)."""
    if may_sync(level, ceiling, own=own):
        return None
    if level == Tlp.RED:
        return DROP_RED
    if level == Tlp.AMBER_STRICT and not own:
        return DROP_STRICT
    if own:
        return f"{level.label} is above what the destination may receive ({ceiling.label})"
    return f"{level.label} is above this feed's limit {ceiling.label}"


def pull_admit(feed: FeedSource) -> Any:
    """The rule :func:`accord.sharing.ingest.add_objects` applies to a pulled object once its
    effective TLP is known (a partner-defined TLP definition already on this hub included)."""
    def admit(obj: Mapping[str, Any], level: Tlp) -> str | None:
        return None if is_iep_marking(obj) else _reason(level, feed.max_tlp, own=False)
    return admit


def is_iep_marking(obj: Mapping[str, Any]) -> bool:
    """An IEP marking-definition: vocabulary that must travel with the objects it marks (so
    the next hub stores their policy), whatever TLP its own collection would give it."""
    try:
        return policy_in_marking(obj) is not None
    except IepError:
        return False  # ingest refuses it with the reason


def pull_verdicts(feed: FeedSource, page: Sequence[Mapping[str, Any]], exercise: Ids[str]
                  ) -> list[str | None]:
    """Why each pulled object of ``page`` must not be imported, or None: exercise data (by
    marking, label or id), RED, another team's AMBER+STRICT, anything above ``max_tlp``. IEP
    marking-definitions always pass (:func:`is_iep_marking`).

    The TLP levels the page's own marking-definitions declare are found once per page.
    """
    level = BatchTlp(feed.collection.default_tlp, declared_levels(page))
    return [DROP_EXERCISE if is_exercise_data(obj, exercise)
            else None if is_iep_marking(obj)
            else _reason(level(obj), feed.max_tlp, own=False)
            for obj in page]


def refuse_unencrypted(session: Session, feed: FeedSource, objects: list[dict[str, Any]]
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A pull over plain http: the objects whose IEP policy (own markings in the page or on the
    hub, and the local collection's agreement default) requires encryption in transit are
    refused one by one with the reason; the rest are kept. Over https nothing is refused."""
    if not plain_http(feed):
        return objects, []
    policies = batch_policies(session, feed.collection, objects)
    keep: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for obj in objects:
        policy, _ = policies.policy_for(obj)  # a malformed policy is ingest's to report
        if policy is not None and policy.needs_encryption_in_transit:
            refused.append({"id": obj.get("id"), "reason": NEEDS_ENCRYPTION})
        else:
            keep.append(obj)
    return keep, refused


def push_verdict(feed: FeedSource, row: StixObject, obj: Mapping[str, Any],
                 exercise: Ids[str]) -> str | None:
    """Why a local object must not be pushed to the feed's remote, or None.

    Never RED; AMBER+STRICT only the collection owner's own; never above the destination's
    ``max_tlp``; never back to the partner it came from; never a contested version; never
    exercise data; never once expired (IEP end_date or retention); never over plain http
    when its IEP policy requires encryption in transit.
    """
    owner = feed.collection.owner_team
    own = row.source_team_id == owner.id and row.origin in (None, owner.identity_id)
    reason = _reason(row.tlp, feed.max_tlp, own=own)
    if reason is not None:
        return reason
    if row.source_team_id == feed.partner_team_id:
        return "came from this partner (loop prevention)"
    if row.contested:
        return DROP_CONTESTED
    if is_exercise_data(obj, exercise):
        return DROP_EXERCISE
    if is_expired(row.expires_at, utcnow()):
        return EXPIRED
    if plain_http(feed) and needs_encryption(row.iep_policy):
        return NEEDS_ENCRYPTION
    return None


def plain_http(feed: FeedSource) -> bool:
    """Whether the feed talks to its remote without TLS (an ``http://`` URL)."""
    return str(feed.settings.get("url", "")).strip().lower().startswith("http://")

