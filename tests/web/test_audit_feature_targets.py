"""The audit log names and links the targets features record (issue 18): an exercise, a feed,
a scenario and an advisory show as their names, linked to their pages, through the
``Feature.audit_targets`` hook rather than as raw ids."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import audit
from accord.assembly.demo import DEMO_PASSWORD, seed_demo
from accord.features import audit_targets
from accord.models.teams import Team
from accord.models.users import Role
from advisories.models import Advisory
from exercises.models import Exercise, Scenario
from feeds import sources
from tests.conftest import LiveServer
from tests.factories import make_user
from tests.web import browsing
from tests.web.browsing import fits_width
from tests.web.conftest import screenshot
from tests.web.helpers import sign_in

LINK = re.compile(r'<a href="([^"]+)" title="([^"]+)">([^<]+)</a>')


def _links(html: str) -> dict[str, tuple[str, str]]:
    """Target links of the audit table: target id -> (href, shown name)."""
    return {target_id: (unescape(href), unescape(label))
            for href, target_id, label in LINK.findall(html)}


def test_feature_targets_are_named_links(app: Flask, session: Session) -> None:
    seed_demo(app)
    exercise = session.scalars(select(Exercise)).one()
    advisory = session.scalars(select(Advisory)).one()
    scenario = session.scalars(select(Scenario).where(Scenario.id == exercise.scenario_id)).one()
    feed = sources.create_feed(session, app, name="abuse-list", kind="list",
                               collection="partner-indicators", partner_team="Baltic CERT",
                               settings={"url": "https://lists.example/abuse.txt",
                                         "format": "lines"}, interval=3600)
    audit.record(session, "exercise.scenario.import", target_type="scenario",
                 target_id=scenario.id)
    session.commit()
    assert {t.target_type for t in audit_targets(app)} >= {"exercise", "feed", "advisory",
                                                           "scenario"}

    client = app.test_client()
    sign_in(client, "admin", DEMO_PASSWORD)
    links = _links(client.get("/admin/audit/").get_data(as_text=True))

    assert links[str(exercise.id)] == (f"/exercises/{exercise.id}", exercise.name)
    assert links[str(feed.id)] == (f"/#feed-{feed.id}", "abuse-list")
    assert links[str(advisory.id)] == (f"/advisories/{advisory.ref}",
                                       f"{advisory.ref} {advisory.title}")
    assert links[str(scenario.id)] == (f"/scenarios/#scenario-{scenario.id}", scenario.title)
    # Each link leads to a page that shows the target.
    assert exercise.name in client.get(f"/exercises/{exercise.id}").get_data(as_text=True)
    assert f'id="feed-{feed.id}"' in client.get("/").get_data(as_text=True)
    assert f'id="scenario-{scenario.id}"' in client.get("/scenarios/").get_data(as_text=True)


def test_a_deleted_feed_falls_back_to_its_recorded_name(app: Flask, session: Session) -> None:
    seed_demo(app)
    feed = sources.create_feed(session, app, name="gone-list", kind="list",
                               collection="partner-indicators", partner_team="Baltic CERT",
                               settings={"url": "https://lists.example/gone.txt",
                                         "format": "lines"}, interval=3600)
    feed_id = str(feed.id)
    sources.delete_feed(session, feed)
    session.commit()
    client = app.test_client()
    sign_in(client, "admin", DEMO_PASSWORD)
    html = client.get("/admin/audit/?action=feed").get_data(as_text=True)
    assert feed_id not in _links(html)
    assert f'<span title="{feed_id}">gone-list</span>' in html


@pytest.mark.browser
def test_audit_page_links_feature_targets_in_a_browser(page: Page, live_server: LiveServer,
                                                       app: Flask, session: Session) -> None:
    seed_demo(app)
    lotus = session.scalars(select(Team).where(Team.name == "Lotus CERT")).one()
    make_user(session, lotus, role=Role.ADMIN, username="root")
    exercise = session.scalars(select(Exercise)).one()
    advisory = session.scalars(select(Advisory)).one()
    sources.create_feed(session, app, name="abuse-list", kind="list",
                        collection="partner-indicators", partner_team="Baltic CERT",
                        settings={"url": "https://lists.example/abuse.txt", "format": "lines"},
                        interval=3600)
    session.commit()

    page.set_viewport_size({"width": 1366, "height": 900})
    browsing.sign_in(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/audit/?action=feed")
    expect(page.get_by_role("link", name="abuse-list").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/audit/?action=advisory")
    expect(page.get_by_role("link", name=f"{advisory.ref} {advisory.title}").first
           ).to_be_visible()
    page.goto(f"{live_server.url}/admin/audit/?action=exercise")
    link = page.get_by_role("link", name=exercise.name).first
    expect(link).to_be_visible()
    assert str(exercise.id) not in page.locator("table").inner_text()
    screenshot(page, "admin-audit-feature-targets-1366")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert fits_width(page)
    screenshot(page, "admin-audit-feature-targets-375")
    link.click()
    expect(page.get_by_role("heading", name=exercise.name).first).to_be_visible()
