"""Message threads between teams and with EXCON: who reads and writes what, replies, audit,
the console's view and the report timeline."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.audit import AuditEvent
from exercises.reports import data as report_data
from exercises.reports.markdown import render_markdown
from exercises.runs import control, messages
from tests.exercises.conftest import World, api
from tests.exercises.playdrill import running


def test_teams_exchange_messages_in_threads(bound_app: Flask, client: FlaskClient,
                                            session: Session, world: World) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    base = f"/{run.id}/threads"
    started = api(client, world, "kristjan", "POST", base, json={
        "subject": "Shared C2?", "to": ["Lotus CERT", "excon"],
        "text": "Do you see 198.51.100.23 too?"})
    assert started.status_code == 201
    thread = started.json
    assert [p["id"] for p in thread["participants"]] == ["north", "lead", "excon"]
    url = f"{base}/{thread['id']}/messages"
    replied = api(client, world, "lan", "POST", url, json={"text": "Yes, since 02:10"})
    assert replied.status_code == 201
    assert [(m["from_name"], m["text"]) for m in replied.json["messages"]] == [
        ("Baltic CERT", "Do you see 198.51.100.23 too?"), ("Lotus CERT", "Yes, since 02:10")]
    # The coordinator plays for Lotus too; as EXCON it says so.
    excon = api(client, world, "coordinator", "POST", url,
                json={"text": "Keep it in this thread", "as": "excon"})
    assert excon.status_code == 201
    assert excon.json["messages"][-1]["from_name"] == "EXCON (Lotus CERT)"
    # Andes is not in the thread: it neither lists nor reads nor answers it.
    assert api(client, world, "valentina", "GET", base).json["threads"] == []
    assert api(client, world, "valentina", "GET", f"{base}/{thread['id']}").status_code == 404
    assert api(client, world, "valentina", "POST", url, json={"text": "x"}).status_code == 404
    # Staff read every thread (the console).
    seen = api(client, world, "evaluator", "GET", base).json["threads"]
    assert [len(t["messages"]) for t in seen] == [3]
    assert api(client, world, "evaluator", "POST", url, json={"text": "x"}).status_code == 403
    assert api(client, world, "outsider", "GET", base).status_code == 404
    audited = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "exercise.message.post").order_by(AuditEvent.id)).all()
    assert [(a.actor_name, a.details["from"], a.details["reply"]) for a in audited] == [
        ("kristjan", "north", False), ("lan", "lead", True), ("coordinator", "excon", True)]
    # The report timeline carries every message.
    entries = messages.timeline_entries(session, run)
    assert [e["team"] for e in entries] == ["Baltic CERT", "Lotus CERT", "EXCON (Lotus CERT)"]
    report = report_data.build(session, run)
    timeline = [e for e in report["timeline"] if e["kind"] == "message"]
    assert len(timeline) == 3 and "[Shared C2?] to Lotus CERT, EXCON" in timeline[0]["text"]
    assert "Message from Baltic CERT (kristjan) [Shared C2?]" in render_markdown(report)


def test_message_bad_input_and_end_of_play(bound_app: Flask, client: FlaskClient,
                                           session: Session, world: World) -> None:
    run = running(session, world.users["coordinator"], bound_app)
    base = f"/{run.id}/threads"
    cases = [({"subject": "", "to": ["north"], "text": "x"}, "subject: must not be empty"),
             ({"subject": "s", "to": ["west"], "text": "x"}, "'west' is not a team"),
             ({"subject": "s", "to": ["lead"], "text": "x"}, "name at least one other team"),
             ({"subject": "s", "to": [3], "text": "x"}, "to: a list of team names"),
             ({"subject": "s", "to": ["north"], "text": " "}, "text: must not be empty"),
             ({"subject": "s", "to": ["north"], "text": "x", "as": "boss"}, "as: must be"),
             ({"subject": "s" * 201, "to": ["north"], "text": "x"}, "longer than 200")]
    for body, reason in cases:
        response = api(client, world, "lan", "POST", base, json=body)
        assert response.status_code == 400 and reason in response.json["message"], body
    assert api(client, world, "lan", "POST", base, json={
        "subject": "s", "to": ["north"], "text": "x", "as": "excon"}).status_code == 403
    assert api(client, world, "lan", "GET", f"{base}/not-a-uuid").status_code == 404
    made = api(client, world, "lan", "POST", base, json={"subject": "s", "to": "north",
                                                         "text": "x"})
    assert made.status_code == 201
    control.complete(session, run)
    session.commit()
    late = api(client, world, "kristjan", "POST", f"{base}/{made.json['id']}/messages",
               json={"text": "too late"})
    assert late.status_code == 409 and "messages are for the time of play" in late.json["message"]
