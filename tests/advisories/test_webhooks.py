"""Advisory notices by webhook to a receiver on 127.0.0.1: the body holds only what the TLP
lets leave, every attempt of a notice carries the same idempotency key, a failing receiver is
retried with backoff on a moved clock and finally given up, and neither the stored error nor
any log line holds the secret parts of a receiver's URL."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import ManualClock
from accord.webhooks import origin, scrub
from advisories import notices
from advisories.contacts import set_reach
from advisories.models import AdvisoryNotice
from tests.advisories.conftest import Centre
from tests.exercises.webhook_receiver import receiver
from tests.factories import json_of

TOKEN = "s3cr3t-hook-token-4711"
PATH_SECRET = "T0K3NINPATH9f8e7d"


def _closed_port() -> int:
    """A port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _webhook_rows(session: Session) -> dict[str, AdvisoryNotice]:
    session.expire_all()
    rows = session.scalars(select(AdvisoryNotice).where(AdvisoryNotice.channel == "webhook"))
    return {row.address: row for row in rows}


def _issue(centre: Centre) -> dict[str, Any]:
    response = centre.call("coordinator", "POST", "", json={
        "title": "Patch the VPN gateways now", "severity": "critical", "tlp": "amber",
        "body": "CVE-2026-0001 is exploited.",
        "recipients": {"teams": ["Ministry of Finance", "Ministry of Health"]}})
    assert response.status_code == 201, response.json
    return json_of(response)


def test_webhooks_retry_then_deliver_once_or_give_up_without_leaking_the_url(
        app: Flask, centre: Centre, session: Session, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/hooks/{PATH_SECRET}"
    with receiver(500, 503) as hook, caplog.at_level(logging.INFO):
        live = f"{hook.url}?token={TOKEN}"
        set_reach(session, centre.teams["Ministry of Finance"].id, email="", webhook_url=live)
        set_reach(session, centre.teams["Ministry of Health"].id, email="", webhook_url=dead)
        session.commit()
        ref = _issue(centre)["ref"]

        assert notices.deliver_due(app) == 0  # the receiver answers 500; the other refuses
        rows = _webhook_rows(session)
        assert {r.state for r in rows.values()} == {"queued"}
        assert rows[live].last_error == f"HTTP 500 from {origin(live)}"
        assert rows[dead].last_error.startswith("ConnectionError")
        assert notices.deliver_due(app) == 0  # not due yet: nothing is sent before backoff
        assert len(hook.requests) == 1

        clock.advance(notices.backoff(1))
        assert notices.deliver_due(app) == 0  # 503 this time
        clock.advance(notices.backoff(2))
        assert notices.deliver_due(app) == 1  # third attempt accepted
        assert _webhook_rows(session)[live].state == "sent"
        for attempt in range(3, notices.MAX_ATTEMPTS):
            clock.advance(notices.backoff(attempt))
            notices.deliver_due(app)
        given_up = _webhook_rows(session)[dead]
        assert given_up.state == "failed" and given_up.attempts == notices.MAX_ATTEMPTS
        clock.advance(notices.backoff(notices.MAX_ATTEMPTS))
        assert notices.deliver_due(app) == 0  # nothing left: no notice is sent twice

    keys = {key for key, _ in hook.requests}
    assert len(hook.requests) == 3 and len(keys) == 1  # one notice, one key on every attempt
    assert hook.duplicates == 0
    [(key, body)] = hook.accepted.items()
    assert key == _webhook_rows(session)[live].key == body["notice"]
    assert body["advisory"] == ref and body["kind"] == "issued"
    assert ref in body["body"] and f"/advisories/{ref}" in body["body"]
    assert "Patch the VPN" not in body["subject"] + body["body"]  # AMBER: no content by webhook
    assert "CVE-2026-0001" not in body["body"]

    warnings = [r for r in caplog.records if r.name == "accord.advisories"]
    assert len(warnings) >= notices.MAX_ATTEMPTS + 2  # every failed attempt is logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    stored = "\n".join(r.last_error for r in _webhook_rows(session).values())
    for secret in (TOKEN, PATH_SECRET):
        assert secret not in logged and secret not in stored


def test_scrub_hides_path_query_and_credentials() -> None:
    url = "https://hook:pa55word@hooks.example:8443/services/T0/B1/XYZ?sig=abc"
    text = f"HTTPSConnectionPool(host='hooks.example', port=8443): Max retries exceeded " \
           f"with url: /services/T0/B1/XYZ?sig=abc; see {url}"
    clean = scrub(text, url)
    for secret in ("pa55word", "XYZ", "sig=abc", "hook:"):
        assert secret not in clean
    assert "hooks.example" in clean
    assert origin(url) == "https://hooks.example:8443"
