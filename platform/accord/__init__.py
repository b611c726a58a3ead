"""Accord: a cyber cooperation hub for CERTs (STIX 2.1 over TAXII 2.1, feeds, exercises).

Importing this package does nothing: the core modules import only what they use, and the whole
hub is built by :func:`accord.assembly.create_app`.
"""
