"""Import each named module first thing in its own interpreter state; print failures as JSON.

Run as a script (never imported by the suite): the third-party libraries are loaded once, then
each module is imported in a forked child that has loaded none of Accord's packages, which is
what ``python -c "import M"`` sees, at a fraction of the cost of one interpreter per module.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

THIRD_PARTY = ("flask", "sqlalchemy", "sqlalchemy.orm", "stix2", "taxii2client.v21",
               "apscheduler.schedulers.background", "click", "requests", "yaml", "markdown",
               "argon2", "cryptography.fernet", "gunicorn.app.base", "alembic.config",
               "werkzeug", "psycopg")
OURS = ("accord", "feeds", "exercises", "advisories")


def _import_in_child(module: str) -> str | None:
    """Fork; the child imports ``module`` and exits 0, or writes the error and exits 1."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        status = 0
        try:
            importlib.import_module(module)
        except BaseException:  # noqa: BLE001 - any failure is the answer
            os.write(write_end, traceback.format_exc(limit=4).encode()[-4000:])
            status = 1
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        error = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    return None if status == 0 else (error or f"exit status {status}")


def main(modules: list[str]) -> int:
    # Python puts this script's folder (tests/) first on sys.path, where tests/accord would
    # shadow the real accord package (its submodules then came from wherever the installed
    # distribution points, not from PYTHONPATH's checkout).
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    for name in THIRD_PARTY:
        importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in OURS)
    if loaded:
        print(json.dumps({"_driver": f"preloading pulled in {loaded[:5]}"}))
        return 2
    failures = {m: err for m in modules if (err := _import_in_child(m)) is not None}
    print(json.dumps(failures))
    return 0


if __name__ == "__main__":
    # Python puts this script's directory (tests/) first on sys.path, and tests/accord and
    # tests/advisories are packages: ``accord`` would be the tests' package, and every
    # ``accord.*`` module would then come from wherever the editable install points (the main
    # checkout), not from PYTHONPATH. Drop it, so the modules under test are the ones imported.
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    sys.exit(main(sys.argv[1:]))
