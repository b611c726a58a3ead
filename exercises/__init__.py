"""Joint tabletop exercises: scenarios, scheduled drills, delivery, evaluation and reports."""
