"""Exercise runs: planning a scenario for real teams, the scheduler jobs that drive it, live
control by EXCON, inject delivery and publishing, and what players do."""
