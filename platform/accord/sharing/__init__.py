"""Shared intelligence: validation, ingest and visibility rules used by every write and read path.

TAXII, the CLI (`accord share`/`accord export`), the web UI, feeds and exercises all store and
read STIX objects through these modules, so the hub's rules live in one place.
"""
