"""One APScheduler 3 scheduler per deployment, its jobs stored in the hub's database.

- :mod:`accord.scheduler.jobs`: add, change and remove jobs from any process (web, CLI).
- :mod:`accord.scheduler.lease`: database-held leadership, so a standby can take over.
- :mod:`accord.scheduler.runner`: the loop run by ``accord scheduler`` or embedded in serve.

Job functions are referenced by text (``"feeds.jobs:run_feed"``) with plain arguments, and
find their app with :func:`accord.scheduler.jobs.job_app`.
"""
