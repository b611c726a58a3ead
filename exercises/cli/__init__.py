"""``accord exercise``: scenarios, scheduling, live control, evaluation and reports."""

from exercises.cli import judging, runs, scenarios  # noqa: F401  (register commands)
from exercises.cli.group import exercise_group

__all__ = ["exercise_group"]
