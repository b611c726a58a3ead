"""The IEP 2.0 policy on the object page, in a real Chromium (issue 17).

A partner opens an object shared under "incident response only": the policy's obligations and
prohibitions stand out in plain words, the source team is withheld (the hub is named), and
``created_by_ref`` in the JSON names the hub. The source team sees its own name. Screenshot:
docs/screenshots/object-iep-policy.png (with ACCORD_SCREENSHOTS=1).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from accord.sharing.attribution import hub_identity_id
from tests.accord.iep_scene import SOURCE_TEAM, build
from tests.conftest import LiveServer
from tests.web.browsing import sign_in, sign_out
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_partner_sees_the_policy_and_not_the_source(
        page: Page, live_server: LiveServer, app: Flask, session: Session, clock: Any) -> None:
    scene = build(app, session, with_plain=False)
    url = f"{live_server.url}/collections/{scene.collection.id}/objects/{scene.hidden}"
    sign_in(page, live_server, "partner-user")
    page.goto(url)
    policy = page.get_by_role("region", name="Sharing policy (IEP 2.0): Incident response only")
    expect(policy).to_be_visible()
    prominent = policy.locator(".iep-must li")
    for text in ("Must NOT be resold or passed on unmodified.",
                 "Must NOT be used to notify affected parties.",
                 "Must be encrypted in transit.",
                 "Permitted: act on it only inside your own organisation's systems.",
                 "Must NOT name the source; the hub withholds it."):
        expect(prominent.filter(has_text=text)).to_have_count(1)
    expect(policy.locator('[data-statement="end_date"]')).to_be_visible()
    provenance = page.locator("dl.provenance").first
    expect(provenance).to_contain_text(app.config["HUB_NAME"])
    expect(provenance).to_contain_text("withheld (IEP attribution: must-not)")
    expect(page.locator("main")).not_to_contain_text(SOURCE_TEAM)
    expect(page.locator("pre.json")).to_contain_text(hub_identity_id(app.config["HUB_NAME"]))
    screenshot(page, "object-iep-policy")
    sign_out(page)
    sign_in(page, live_server, "source-user")
    page.goto(url)
    expect(page.locator("dl.provenance").first).to_contain_text(SOURCE_TEAM)
