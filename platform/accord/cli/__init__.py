"""The ``accord`` command line; the entry point lives in :mod:`accord.assembly.cli`."""
