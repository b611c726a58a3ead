"""What the exercises package plugs into the hub (read by :mod:`accord.assembly`)."""

from __future__ import annotations

from accord.features import Feature, NavLink
from accord.models.users import Role
from exercises.api import bp as api_bp
from exercises.cli import exercise_group
from exercises.demo import seed_demo_exercise
from exercises.runs.job_sync import ensure_worker, resync_active
from exercises.web import (
    dashboard,
    exercise_pages,
    message_pages,
    scenario_pages,
    schedule_pages,
)
from exercises.web.formatting import signed_duration

FEATURE = Feature(
    name="exercises",
    blueprints=(api_bp,),
    pages=(exercise_pages.bp, message_pages.bp, scenario_pages.bp, schedule_pages.bp),
    commands=(exercise_group,),
    nav_links=(
        NavLink("Exercises", "web.exercises.index"),
        NavLink("Scenarios", "web.scenarios.index",
                frozenset({Role.ADMIN, Role.COORDINATOR, Role.EVALUATOR, Role.OBSERVER})),
    ),
    dashboard_panels=(dashboard.PANEL,),
    demo_seeders=(seed_demo_exercise,),
    template_filters=(("signed_duration", signed_duration),),
    on_lead=(resync_active, ensure_worker),
)
