"""Exercise separation lives in the core (:mod:`accord.sharing.exercise_separation`, rule 5).

Kept as the exercises package's name for the same checks, so exercise code reads naturally.
"""

from __future__ import annotations

from accord.sharing.exercise_separation import (
    assert_no_exercise_objects,
    assert_not_exercise_collection,
    exercise_objects,
    is_exercise_collection,
    is_exercise_object,
)

__all__ = ["assert_no_exercise_objects", "assert_not_exercise_collection", "exercise_objects",
           "is_exercise_collection", "is_exercise_object"]
