"""Every blueprint and CLI command group the factory registers, in one list.

Feature packages (``accord.taxii``, ``accord.api``, ``accord.web``, ``feeds``, ``exercises``)
each expose a blueprint and/or a click group; add a line here to plug one in.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Blueprint
from sqlalchemy.orm import Session

from accord import api, taxii, web
from accord.cli.admin import ADMIN_GROUPS
from accord.cli.scheduling import scheduler_command
from accord.sharing.demo import seed_demo_indicators
from exercises.api import bp as exercises_bp
from exercises.cli import exercise_group
from exercises.demo import seed_demo_exercise
from feeds.api import bp as feeds_bp
from feeds.cli import feeds_group

BLUEPRINTS: tuple[Blueprint, ...] = (taxii.bp, api.bp, exercises_bp, feeds_bp, web.bp)

CLI_GROUPS: tuple[click.Command, ...] = (*ADMIN_GROUPS, scheduler_command, exercise_group,
                                         feeds_group)

# Functions that add a feature's demo content (shared indicators, a sample exercise) after the
# core demo records exist; each receives the open session.
DEMO_SEEDERS: tuple[Callable[[Session], None], ...] = (seed_demo_indicators, seed_demo_exercise)
