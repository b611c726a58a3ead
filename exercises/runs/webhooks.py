"""Inject webhooks as an outbox: queued with the release, sent later by the scheduler.

A release only adds a ``webhook`` delivery row (status ``queued``) in its own transaction, so
it never waits on a partner's server and a rolled-back release leaves nothing queued. The
scheduler's worker job (:func:`exercises.runs.job_functions.run_worker`) sends due rows:

- each attempt is claimed first (attempt count up, next attempt pushed past the deadline) and
  committed, so a crash mid-send means a retry, never a lost or a parallel send;
- each attempt has one total deadline (connect and read together, :data:`ATTEMPT_DEADLINE`);
- failures are retried with exponential backoff (:func:`backoff`) up to :data:`MAX_ATTEMPTS`,
  then the row is marked ``failed``;
- every attempt of one delivery carries the same ``Idempotency-Key`` (and
  ``X-Accord-Delivery``) header, the delivery's id, so a receiver that saw an earlier attempt
  succeed (when the hub did not hear back) can drop the duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.db import utcnow
from accord.webhooks import post_json
from exercises.models import Exercise, ExerciseDelivery, ExerciseInject, ExerciseTeam
from exercises.runs.marking import EXERCISE_STATEMENT
from exercises.scenarios.per_team import for_team

log = logging.getLogger("accord.exercises")
ATTEMPT_DEADLINE = 5.0  # seconds per attempt, connect and read together
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(minutes=10)
BATCH = 20
QUEUED, DELIVERED, FAILED = "queued", "delivered", "failed"


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 10 s, 20 s, 40 s ... capped at 10 minutes."""
    wait: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    return wait


def payload(exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
            spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the partner's endpoint receives (fixed at release, the same on every retry)."""
    late = (now - inject.due_at).total_seconds()
    seen = for_team(spec, team.placeholder)  # the team's own text and attachments, if any
    return {
        "banner": EXERCISE_STATEMENT,
        "exercise": {"id": str(exercise.id), "name": exercise.name},
        "team": team.team.name,
        "inject": {"id": spec["id"], "title": seen["title"], "from": spec["from"],
                   "body": seen["body"], "released_at": now.isoformat(),
                   "due_at": inject.due_at.isoformat(),
                   "late_seconds": round(late, 3) if late > 0 else 0.0,
                   "attachments": [a["name"] for a in seen["attachments"]]},
    }


def queue(session: Session, exercise: Exercise, inject: ExerciseInject, team: ExerciseTeam,
          spec: dict[str, Any], now: datetime) -> ExerciseDelivery:
    """Add the webhook delivery of one release to the outbox (part of the release's commit)."""
    row = ExerciseDelivery(inject_id=inject.id, team_id=team.team_id, channel="webhook",
                           delivered_at=now, status=QUEUED, attempts=0, next_attempt_at=now,
                           detail={"url": team.webhook_url,
                                   "payload": payload(exercise, inject, team, spec, now)})
    session.add(row)
    return row


def _claim(session: Session, row: ExerciseDelivery, now: datetime, deadline: float) -> bool:
    """Take one attempt of ``row`` (only one worker can); committed before sending, with no
    transaction left open (not even a read) while the POST waits on the partner."""
    claimed = session.execute(
        update(ExerciseDelivery)
        .where(ExerciseDelivery.id == row.id, ExerciseDelivery.status == QUEUED,
               ExerciseDelivery.attempts == row.attempts)
        .values(attempts=row.attempts + 1,
                next_attempt_at=now + timedelta(seconds=deadline) + backoff(row.attempts + 1))
        .execution_options(synchronize_session=False))
    won = claimed.rowcount == 1  # type: ignore[attr-defined]
    if won:
        session.refresh(row)  # the claimed attempt count, read before the commit
    session.commit()
    return bool(won)


def send(url: str, body: dict[str, Any], key: str, deadline: float) -> tuple[bool, dict[str, Any]]:
    """One POST with the idempotency headers and a total deadline (:mod:`accord.webhooks`)."""
    return post_json(url, body, key, deadline)


def _settle(session: Session, row: ExerciseDelivery, ok: bool, outcome: dict[str, Any]) -> None:
    now = utcnow()
    detail = {key: value for key, value in row.detail.items() if key not in ("error",
                                                                          "http_status")}
    row.detail = {**detail, **outcome, "last_attempt_at": now.isoformat()}
    if ok:
        row.status, row.delivered_at, row.next_attempt_at = DELIVERED, now, None
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = FAILED, None
        log.warning("exercise webhook %s gave up after %d attempts", row.id, row.attempts)
    else:
        row.next_attempt_at = now + backoff(row.attempts)
    session.commit()


def deliver_due(session_factory: Callable[[], Session], *, deadline: float = ATTEMPT_DEADLINE,
                limit: int = BATCH) -> dict[str, int]:
    """Send every queued webhook whose attempt is due; returns counts by outcome."""
    counts = {DELIVERED: 0, "retrying": 0, FAILED: 0}
    with session_factory() as session:
        now = utcnow()
        due = list(session.scalars(
            select(ExerciseDelivery)
            .where(ExerciseDelivery.channel == "webhook", ExerciseDelivery.status == QUEUED,
                   ExerciseDelivery.next_attempt_at <= now)
            .order_by(ExerciseDelivery.next_attempt_at).limit(limit)))
        for row in due:
            if not _claim(session, row, now, deadline):
                continue
            ok, outcome = send(str(row.detail.get("url")), row.detail.get("payload", {}),
                               str(row.id), deadline)
            _settle(session, row, ok, outcome)
            counts[row.status if row.status != QUEUED else "retrying"] += 1
    return counts
