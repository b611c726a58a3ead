"""Judging a run: evidence in hub records, verdicts on expected actions, and aftercare
(observations, ratings, the improvement plan)."""
