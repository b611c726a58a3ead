"""The inbox renders inject bodies as Markdown without the author's HTML, and says who
acknowledged and when instead of offering the button again."""

from __future__ import annotations

import copy

from flask import Flask
from sqlalchemy.orm import Session

from accord.web.markdown_text import render
from tests.web.helpers import csrf_from, sign_in
from tests.web.test_exercises import _first_inject_for, _world


def test_markdown_keeps_formatting_and_drops_html_and_unsafe_links() -> None:
    html = str(render("**Patch** now:\n\n- gateway\n- [advisory](https://cert.example/a)\n\n"
                      "<script>alert(1)</script> [x](javascript:alert(1)) "
                      "![i](data:text/html,evil) <img src=x onerror=alert(1)>"))
    assert "<strong>Patch</strong>" in html and "<li>gateway</li>" in html
    assert '<a href="https://cert.example/a">advisory</a>' in html
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html  # shown as text
    assert "javascript:" not in html and "data:text/html" not in html


def test_inbox_renders_markdown_and_shows_the_acknowledgement(app: Flask,
                                                               session: Session) -> None:
    run = _world(session)
    key = _first_inject_for(run, "north")
    document = copy.deepcopy(run.document)
    spec = next(i for i in document["injects"] if i["id"] == key)
    spec["body"] = "**Block** the C2 host.\n\n<script>alert(1)</script>"
    run.document = document  # a new dict, so the JSON column is written
    session.commit()
    excon = app.test_client()
    sign_in(excon, "coordinator")
    console = excon.get(f"/exercises/{run.id}")
    excon.post(f"/exercises/{run.id}/injects/{key}/release",
               data={"csrf_token": csrf_from(console)})
    player = app.test_client()
    sign_in(player, "kristjan")
    inbox = player.get(f"/exercises/{run.id}")
    text = inbox.get_data(as_text=True)
    assert "<strong>Block</strong> the C2 host." in text
    assert "<script>alert(1)</script>" not in text
    assert 'value="acknowledge"' in text
    player.post(f"/exercises/{run.id}/inbox/{key}",
                data={"kind": "acknowledge", "csrf_token": csrf_from(inbox)})
    after = player.get(f"/exercises/{run.id}/live").get_data(as_text=True)
    assert "Acknowledged by kristjan at " in after
    section = after[after.index(f'id="inj-{key}"'):]
    section = section[:section.find("</article>")]
    assert 'value="acknowledge"' not in section  # the button is gone for this inject
    assert "acknowledge by kristjan:" not in after
