"""Layout fixes of issue 18 in a real Chromium, at a laptop width (1366 px) and a phone width
(375 px): the admin nav stays on one row at 1366 px, a SHA-256 value stays inside its dashboard
card, every page has a favicon, and exercise collections are folded on the admin page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accord import audit
from accord.db import utcnow
from accord.models.users import Role
from accord.sharing.access import standing
from accord.sharing.share import ListOptions, share
from exercises.runs import planning
from tests.conftest import LiveServer
from tests.exercises.conftest import PLACEHOLDERS, TEAMS, World, import_sample
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.web.browsing import fits_width, sign_in
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
OVERFLOWING = """() => [...document.querySelectorAll('main li, main .card, main section')]
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.outerHTML.slice(0, 80))"""
HEADER_HEIGHT = "() => document.querySelector('header.top').getBoundingClientRect().height"
NAV_ROWS = """() => new Set([...document.querySelectorAll('header.top nav li')]
  .map(li => Math.round(li.getBoundingClientRect().top))).size"""


def test_admin_nav_one_row_and_sha256_inside_its_card(page: Page, live_server: LiveServer,
                                                      session: Session) -> None:
    hub = make_team(session, "Lotus CERT", "VN", timezone="Asia/Ho_Chi_Minh")
    partner = make_team(session, "Baltic CERT", "EE", timezone="Europe/Tallinn")
    make_user(session, hub, role=Role.ADMIN, username="admin")
    make_user(session, partner, username="kristjan")
    shared = make_collection(session, partner, "Baltic malware hashes")
    make_grant(session, shared, hub, max_tlp="amber")
    share(session, standing(session, "kristjan", str(shared.id)), SHA256 + "\n",
          ListOptions(None, (), None), "hashes.txt")
    session.commit()

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "admin")
    expect(page.get_by_text(SHA256)).to_be_visible()
    assert page.evaluate(NAV_ROWS) == 1, "the admin nav wraps at 1366 px"
    assert page.evaluate(HEADER_HEIGHT) < 64, "the header takes two rows at 1366 px"
    assert page.evaluate(OVERFLOWING) == []
    assert fits_width(page)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(f"{live_server.url}{icon}").status == 200
    screenshot(page, "dashboard-sha256-1366")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate(OVERFLOWING) == []
    assert fits_width(page)
    screenshot(page, "dashboard-sha256-375")


def test_admin_collections_fold_exercise_collections(page: Page, live_server: LiveServer,
                                                      session: Session) -> None:
    """Three exercises for three teams make 12 exercise collections: one folded table, not
    twelve grant forms (the page was 5,156 px tall)."""
    world = World()
    for name, country, tz in TEAMS:
        world.teams[name] = make_team(session, name, country, tz)
    for username, team, role in [("coordinator", "Lotus CERT", Role.COORDINATOR),
                                 ("evaluator", "Baltic CERT", Role.EVALUATOR),
                                 ("observer", "Andes CERT", Role.OBSERVER)]:
        world.users[username] = make_user(session, world.teams[team], role, username)
    make_user(session, world.teams["Lotus CERT"], Role.ADMIN, "admin")
    make_collection(session, world.teams["Lotus CERT"], "Partner indicators")
    scenario = import_sample(session)
    for n in range(3):
        request = planning.ScheduleRequest(
            scenario=scenario, name=f"Drill {n + 1}", start=utcnow() + timedelta(days=n + 1),
            teams=PLACEHOLDERS, evaluators=["evaluator"], observers=["observer"])
        planning.schedule_exercise(session, request, world.users["coordinator"])
    session.commit()

    for width in (1366, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if width == 1366:
            sign_in(page, live_server, "admin")
        page.goto(f"{live_server.url}/admin/collections")
        expect(page.get_by_role("heading", name="Partner indicators")).to_be_visible()
        assert page.get_by_role("button", name="Grant / change").count() == 1
        folded = page.locator("#exercise-collections")
        expect(folded).to_contain_text("Exercise collections 12")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 2000, f"{height} px at {width} px wide"
        screenshot(page, f"admin-collections-folded-{width}")
        assert fits_width(page), f"scrolls sideways at {width} px"
    folded.locator("summary").click()
    expect(folded.get_by_role("cell", name="Exercise Drill 2: briefing for Baltic CERT")
           ).to_be_visible()


LABELS_ABOVE_INPUTS = """() => [...document.querySelectorAll('form.filters > div')]
  .filter(d => d.querySelector('label')).map(d => {
    const l = d.querySelector('label').getBoundingClientRect();
    const i = d.querySelector('input').getBoundingClientRect();
    return Math.abs(l.left - i.left) < 2 && l.bottom <= i.top + 1; })"""


def test_audit_log_names_targets_and_aligns_filters(page: Page, live_server: LiveServer,
                                                    session: Session) -> None:
    hub = make_team(session, "Lotus CERT", "VN")
    make_user(session, hub, role=Role.ADMIN, username="admin")
    partner = make_team(session, "Baltic CERT", "EE")
    collection = make_collection(session, hub, "Partner indicators")
    make_grant(session, collection, partner, max_tlp="green")
    audit.record(session, "collection.grant", actor=None, target_type="collection",
                 target_id=str(collection.id), details={"team": "Baltic CERT"})
    session.commit()

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/audit/?action=collection")
    link = page.get_by_role("link", name="Partner indicators").first
    expect(link).to_be_visible()
    assert str(collection.id) not in page.locator("table").inner_text()
    screenshot(page, "admin-audit-targets-1366")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert all(page.evaluate(LABELS_ABOVE_INPUTS))
    assert fits_width(page)
    screenshot(page, "admin-audit-targets-375")
    link.click()
    expect(page.get_by_role("heading", name="Collections and grants")).to_be_visible()
