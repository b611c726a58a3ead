"""The administrative command groups, registered by the core app factory."""

from __future__ import annotations

import click

from accord.cli.access import collection_group, token_group
from accord.cli.agreements import agreements_group
from accord.cli.dbcmd import db_group
from accord.cli.directory import team_group, trust_group_group, user_group
from accord.cli.sharing import export_command, share_command

ADMIN_GROUPS: tuple[click.Command, ...] = (
    db_group,
    team_group,
    trust_group_group,
    user_group,
    token_group,
    collection_group,
    agreements_group,
    share_command, export_command,
)
