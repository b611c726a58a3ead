"""WSGI entry point for gunicorn: ``gunicorn 'accord.assembly.wsgi:app'``.

Refuses to start on a database that has not been migrated, with the command to run.
"""

from accord.assembly import create_app
from accord.db import database
from accord.migrate import check_migrated

app = create_app()
check_migrated(app)
database(app).engine.dispose()  # no connection crosses a fork (gunicorn --preload)
