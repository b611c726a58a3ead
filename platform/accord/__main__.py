"""``python -m accord``: the same CLI as the ``accord`` command."""

from accord.assembly.cli import main

main()
