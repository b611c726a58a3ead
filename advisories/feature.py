"""What the advisories package plugs into the hub (read by :mod:`accord.assembly`)."""

from __future__ import annotations

from flask import Flask

from accord.features import Feature, NavLink
from accord.scheduler.jobs import schedule
from advisories import deadlines
from advisories.api import bp as api_bp
from advisories.demo import seed_demo_advisory
from advisories.web import pages

DELIVERY_SECONDS = 15


def start_on_lead(app: Flask) -> None:
    """A new scheduler leader: open advisories' deadline jobs, and the notice sender."""
    deadlines.resync_open(app)
    schedule(app, "advisories:deliver", f"{deadlines.JOBS}:deliver", "interval",
             seconds=DELIVERY_SECONDS)


FEATURE = Feature(name="advisories", blueprints=(api_bp,), pages=(pages.bp,),
                  nav_links=(NavLink("Advisories", "web.advisories.inbox"),),
                  demo_seeders=(seed_demo_advisory,), on_lead=(start_on_lead,))
