"""The scheduler loop: hold the lease, run jobs while leader, stand by otherwise."""

from __future__ import annotations

import logging
import threading

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from accord import features
from accord.scheduler.events import JOB_EVENTS, JobLog
from accord.scheduler.jobs import (
    STOP_EVENT_KEY,
    WAKE_SECONDS,
    bind_job_app,
    bind_stop_event,
    make_scheduler,
)
from accord.scheduler.lease import Lease
from accord.sharing.envelope_queue import drain_job
from accord.sharing.retention import INTERVAL_SECONDS as RETENTION_SECONDS
from accord.sharing.retention import retention_job

log = logging.getLogger("accord.scheduler")
QUEUE_POLL_SECONDS = 2  # how often the leader looks for queued envelopes


def _wake() -> None:
    """No-op job whose only effect is that the scheduler re-reads the shared job store."""


class SchedulerRunner:
    """Runs the hub's APScheduler while this process holds the scheduler lease."""

    def __init__(self, app: Flask, *, lease_seconds: float = 30.0,
                 holder: str | None = None) -> None:
        self.app = app
        self.lease = Lease(app, ttl_seconds=lease_seconds, holder=holder)
        self.renew_every = lease_seconds / 3
        self.scheduler: BackgroundScheduler | None = None
        # Given to the jobs of this process while it runs: on SIGTERM, feed runs abandon their
        # requests and end ``interrupted``, so shutting down waits seconds, not for a partner.
        self.stopping = threading.Event()
        self.is_leader = False
        self._thread: threading.Thread | None = None

    def _lead(self) -> None:
        for task in features.lead_tasks(self.app):
            try:
                task(self.app)
            except Exception:  # one feature's recovery must not keep the others' jobs down
                log.exception("scheduler start-up task %s failed", task.__qualname__)
        if self.scheduler is None:
            self.scheduler = make_scheduler(self.app, running=True)
            self.scheduler.add_jobstore(MemoryJobStore(), "memory")
            self.scheduler.add_listener(JobLog(), JOB_EVENTS)
            self.scheduler.add_job(_wake, "interval", seconds=WAKE_SECONDS, id="accord.wake",
                                   jobstore="memory", replace_existing=True)
            # IEP 2.0 validity and agreement retention: one audit row per collection per run.
            self.scheduler.add_job(retention_job, "interval", seconds=RETENTION_SECONDS,
                                   id="accord.retention", jobstore="memory",
                                   replace_existing=True)
            if self.app.config.get("TAXII_ASYNC_OBJECTS"):
                self.scheduler.add_job(drain_job, "interval", seconds=QUEUE_POLL_SECONDS,
                                       id="accord.envelopes", jobstore="memory",
                                       replace_existing=True)
            self.scheduler.start()
        else:
            self.scheduler.resume()
        self.is_leader = True
        log.info("scheduler lease taken by %s; running jobs", self.lease.holder)

    def _stand_by(self) -> None:
        if self.scheduler is not None:
            self.scheduler.pause()
        self.is_leader = False
        log.info("scheduler lease lost by %s; standing by", self.lease.holder)

    def jobs_alive(self) -> bool:
        """Whether this leader's APScheduler thread still runs (True when not leading).

        The lease is renewed by this loop, not by APScheduler's own thread: a thread that died
        would leave a lease holder running no job while standbys wait.
        """
        thread = getattr(self.scheduler, "_thread", None)
        return not self.is_leader or thread is None or thread.is_alive()

    def _restart_jobs(self) -> None:
        """Replace a scheduler whose thread died with a fresh one on the same job store."""
        log.error("the scheduler's job thread of %s died; starting a new one", self.lease.holder)
        dead, self.scheduler = self.scheduler, None
        if dead is not None:
            dead.remove_jobstore("default", shutdown=False)  # the store is the hub's engine
            dead.shutdown(wait=False)
        self._lead()

    def run(self) -> None:
        """Loop until :meth:`stop` is called (or SIGTERM sets :attr:`stopping`)."""
        bind_job_app(self.app)
        bind_stop_event(self.app, self.stopping)
        try:
            while not self.stopping.is_set():
                try:
                    leader = self.lease.acquire()
                except Exception:  # database briefly unreachable: keep trying, never crash
                    log.exception("could not reach the database to renew the scheduler lease")
                    leader = False
                if leader and not self.is_leader:
                    self._lead()
                elif leader and not self.jobs_alive():
                    self._restart_jobs()
                elif not leader and self.is_leader:
                    self._stand_by()
                self.stopping.wait(self.renew_every)
        finally:
            if self.scheduler is not None and self.scheduler.running:
                # The job store is on the hub's own engine: shutting it down would dispose
                # of that engine under every other session of this process.
                self.scheduler.remove_jobstore("default", shutdown=False)
                self.scheduler.shutdown(wait=True)
            if self.is_leader:
                self.lease.release()
                log.info("scheduler lease released by %s", self.lease.holder)
            self.is_leader = False
            if self.app.extensions.get(STOP_EVENT_KEY) is self.stopping:
                bind_stop_event(self.app, None)

    def start_in_thread(self) -> threading.Thread:
        """Run the loop in a daemon thread (embedded in ``accord serve`` or tests)."""
        self._thread = threading.Thread(target=self.run, name="accord-scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
