"""Scenarios: the authoring format, validation, CSV MSEL import, the library and export."""
