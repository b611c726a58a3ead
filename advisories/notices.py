"""The outbox of advisories: every message (email, webhook) is a row first, sent later.

Queuing happens in the transaction that changed the advisory, so a crash never loses or
doubles a notice: its ``key`` is unique (issued, each update, each reminder and escalation
once per team) and travels with the message as the receiver's idempotency key. A scheduler
job sends what is due, with retries and backoff. Each attempt is claimed (counted, next attempt
pushed back) and committed before the message leaves, and its outcome is recorded in a new
short transaction after: no write is pending while the hub waits on a mail server or a
receiver (on SQLite that would stall every other writer), and a crash mid-send means a retry
with the same key after the backoff, never a loss.

TLP holds on every channel: a notice of a CLEAR or GREEN advisory carries its text; for AMBER
and above it carries only the reference, the severity and a link to read it in the hub.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.db import database, utcnow
from accord.models.teams import Team
from accord.tlp import Tlp
from accord.webhooks import origin, post_json
from advisories.contacts import reach
from advisories.models import Advisory, AdvisoryNotice

log = logging.getLogger("accord.advisories")
MAX_ATTEMPTS = 8
SEND_TIMEOUT = 10.0
TEXT_ALLOWED = frozenset({Tlp.CLEAR, Tlp.GREEN})


def link(config: dict[str, Any], ref: str) -> str:
    """Where a recipient reads and answers the advisory (``ACCORD_PUBLIC_URL`` if set)."""
    return f"{str(config.get('PUBLIC_URL') or '').rstrip('/')}/advisories/{ref}"


def render(advisory: Advisory, kind: str) -> tuple[str, str]:
    """Subject and body of a notice, within what the advisory's TLP allows to leave."""
    level = Tlp(advisory.tlp)
    label = f"TLP:{level.value.upper()}"
    subject = f"[{label}] {advisory.ref} ({advisory.severity.value}) {kind}"
    lines = [f"Advisory {advisory.ref}, version {advisory.version}, {label}, severity "
             f"{advisory.severity.value}: {kind}."]
    if level in TEXT_ALLOWED:
        subject += f": {advisory.title}"
        lines += ["", advisory.title, "", advisory.body]
    else:
        lines += ["", f"Its content is {label}: read it in Accord (it is not sent by email)."]
    hours = advisory.ack_within_seconds / 3600
    lines += ["", f"Acknowledge within {hours:g} h and report your status within "
              f"{advisory.status_within_seconds / 3600:g} h."]
    return subject[:300], "\n".join(lines)


def queue(session: Session, advisory: Advisory, team: Team | None, kind: str, channel: str,
          address: str, key: str, headline: str = "") -> bool:
    """Add one notice unless the same ``key`` was queued before; True if added. ``kind`` is a
    short code (``issued``, ``reminder:ack``, ...); ``headline`` says it to people."""
    if not address:
        return False
    if session.scalar(select(AdvisoryNotice.id).where(AdvisoryNotice.key == key)) is not None:
        return False
    subject, body = render(advisory, headline or kind)
    notice = AdvisoryNotice(key=key, advisory_id=advisory.id,
                            team_id=team.id if team else None, kind=kind, channel=channel,
                            address=address, subject=subject, body=body, state="queued",
                            attempts=0, next_attempt_at=utcnow())
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:  # queued by a concurrent job in the meantime
        return False
    return True


def queue_for_recipients(session: Session, advisory: Advisory, kind: str) -> int:
    """Email and webhook every recipient about ``kind`` (issued, updated-vN, closed)."""
    added = 0
    for recipient in advisory.recipients:
        where = reach(session, recipient.team)
        base = f"{advisory.id}:{kind}:{recipient.team_id}"
        added += queue(session, advisory, recipient.team, kind, "email", where.email,
                       f"{base}:email")
        added += queue(session, advisory, recipient.team, kind, "webhook", where.webhook_url,
                       f"{base}:webhook")
    return added


class WebhookRefused(Exception):
    """A webhook attempt failed; the message is already free of the URL's secret parts."""


def _send(notice: AdvisoryNotice, config: dict[str, Any]) -> None:
    """Deliver one notice; raises on failure (the caller retries with backoff)."""
    body = f"{notice.body}\nRead and answer: {link(config, notice.advisory.ref)}\n"
    if notice.channel == "email":
        message = EmailMessage()
        message["From"] = config.get("ADVISORIES_MAIL_FROM", "accord@localhost")
        message["To"] = notice.address
        message["Subject"] = notice.subject
        message["X-Accord-Notice"] = notice.key
        message.set_content(body)
        host = config.get("ADVISORIES_SMTP_HOST") or "localhost"
        port = int(config.get("ADVISORIES_SMTP_PORT") or 25)
        with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT) as smtp:
            smtp.send_message(message)
        return
    ok, outcome = post_json(notice.address, {
        "notice": notice.key, "kind": notice.kind, "subject": notice.subject,
        "body": body, "advisory": notice.advisory.ref}, notice.key, SEND_TIMEOUT)
    if not ok:  # the outcome names no part of the URL but its origin (accord.webhooks)
        raise WebhookRefused(outcome.get("error") or f"HTTP {outcome.get('http_status')} from "
                             f"{origin(notice.address)}")


def backoff(attempts: int) -> timedelta:
    """Wait after failed attempt ``attempts``: 30 s, 1 min, 2 min ... at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


def _retry_or_give_up(notice: AdvisoryNotice) -> None:
    """After a failed attempt: retry later with backoff, or mark it failed after the last."""
    if notice.attempts >= MAX_ATTEMPTS:
        notice.state = "failed"
    else:
        notice.next_attempt_at = utcnow() + backoff(notice.attempts)
    log.warning("advisory notice %s (%s) failed (attempt %d): %s", notice.key, notice.channel,
                notice.attempts, notice.last_error)


def _claim(session: Session, notice: AdvisoryNotice) -> bool:
    """Take one attempt of ``notice`` (only one worker can) and commit it before sending."""
    attempts = notice.attempts + 1
    claimed = session.execute(
        update(AdvisoryNotice)
        .where(AdvisoryNotice.id == notice.id, AdvisoryNotice.state == "queued",
               AdvisoryNotice.attempts == notice.attempts)
        .values(attempts=attempts, next_attempt_at=utcnow() + timedelta(seconds=SEND_TIMEOUT)
                + backoff(attempts))
        .execution_options(synchronize_session=False))
    won = claimed.rowcount == 1  # type: ignore[attr-defined]
    if won:
        session.refresh(notice)
    session.commit()
    return bool(won)


def deliver_due(app: Flask, limit: int = 200) -> int:
    """Send the notices that are due; returns how many were sent."""
    sent = 0
    with database(app).sessionmaker() as session:
        due = list(session.scalars(
            select(AdvisoryNotice).where(AdvisoryNotice.state == "queued",
                                         AdvisoryNotice.next_attempt_at <= utcnow())
            .order_by(AdvisoryNotice.created_at).limit(limit)))
        for notice in due:
            if not _claim(session, notice):
                continue  # another worker took this attempt
            try:  # no transaction is open here: the claim is committed, nothing is dirty
                _send(notice, dict(app.config))
            except WebhookRefused as exc:
                notice.last_error = str(exc)[:300]
                _retry_or_give_up(notice)
            except (OSError, smtplib.SMTPException) as exc:
                notice.last_error = f"{exc.__class__.__name__}: {str(exc)[:300]}"
                _retry_or_give_up(notice)
            else:
                notice.state, notice.sent_at = "sent", utcnow()
                sent += 1
            session.commit()
    return sent
