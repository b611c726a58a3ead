"""What the exercises package plugs into the hub (read by :mod:`accord.assembly`).

Parts are named by import path, so importing the feature loads none of them (issue 15).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from flask import url_for
from sqlalchemy.orm import Session

from accord.features import AuditTarget, AuditTargets, Feature, NavLink, Ref, named_by_column
from accord.models.users import Role


def exercise_targets(session: Session, ids: Sequence[uuid.UUID]) -> Mapping[str, AuditTarget]:
    """Each exercise by its name, linked to its page."""
    from exercises.models import Exercise

    return named_by_column(Exercise.id, Exercise.name,
                           lambda target_id: url_for("web.exercises.show", ref=target_id),
                           )(session, ids)


def scenario_targets(session: Session, ids: Sequence[uuid.UUID]) -> Mapping[str, AuditTarget]:
    """Each scenario by its title, linked to its line in the scenario library."""
    from exercises.models import Scenario

    return named_by_column(
        Scenario.id, Scenario.title,
        lambda target_id: url_for("web.scenarios.index", _anchor=f"scenario-{target_id}"),
    )(session, ids)


AUDIT_TARGETS = (AuditTargets("exercise", exercise_targets),
                 AuditTargets("scenario", scenario_targets))

FEATURE = Feature(
    name="exercises",
    blueprints=(Ref("exercises.api:bp"),),
    pages=tuple(Ref(f"exercises.web.{page}:bp") for page in (
        "exercise_pages", "message_pages", "scenario_pages", "schedule_pages")),
    commands=(Ref("exercises.cli:exercise_group"),),
    nav_links=(
        NavLink("Exercises", "web.exercises.index"),
        NavLink("Scenarios", "web.scenarios.index",
                frozenset({Role.ADMIN, Role.COORDINATOR, Role.EVALUATOR, Role.OBSERVER})),
    ),
    dashboard_panels=(Ref("exercises.web.dashboard:PANEL"),),
    demo_seeders=(Ref("exercises.demo:seed_demo_exercise"),),
    template_filters=(("signed_duration", Ref("exercises.web.formatting:signed_duration")),),
    on_lead=(Ref("exercises.runs.job_sync:resync_active"),
             Ref("exercises.runs.job_sync:ensure_worker")),
    audit_targets=AUDIT_TARGETS,
)
