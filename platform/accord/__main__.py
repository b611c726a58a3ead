"""``python -m accord``: the same CLI as the ``accord`` command."""

from accord.cli.main import main

main()
