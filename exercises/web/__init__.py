"""The exercise pages of the web UI (children of the core web shell; templates beside them)."""
