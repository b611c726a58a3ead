"""Accord: a cyber cooperation hub for CERTs (STIX 2.1 over TAXII 2.1, feeds, exercises)."""

from accord.app import create_app

__all__ = ["create_app"]
