"""What the exercises package plugs into the hub (read by :mod:`accord.assembly`)."""

from __future__ import annotations

from flask import url_for

from accord.features import AuditTargets, Feature, NavLink, named_by_column
from accord.models.users import Role
from exercises.api import bp as api_bp
from exercises.cli import exercise_group
from exercises.demo import seed_demo_exercise
from exercises.models import Exercise, Scenario
from exercises.runs.job_sync import ensure_worker, resync_active
from exercises.web import (
    dashboard,
    exercise_pages,
    message_pages,
    scenario_pages,
    schedule_pages,
)
from exercises.web.formatting import signed_duration

AUDIT_TARGETS = (
    AuditTargets("exercise", named_by_column(
        Exercise.id, Exercise.name,
        lambda target_id: url_for("web.exercises.show", ref=target_id))),
    AuditTargets("scenario", named_by_column(
        Scenario.id, Scenario.title,
        lambda target_id: url_for("web.scenarios.index", _anchor=f"scenario-{target_id}"))),
)

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
    audit_targets=AUDIT_TARGETS,
)
