"""Sharing agreements in words and oversight reports: what was shared under an agreement, with
whom, what partners read, what expired and what was held back (issue 17)."""
