"""Benchmark: one advisory to 70 constituent teams, 70 automated acknowledgements and status
reports through the JSON API, then the coordinator's matrix page (HTML), its CSV and the
leadership report timed at that size.

    .venv/bin/python bench/advisories.py [--teams 70] [--runs 20] [--database-url URL]

Runs in-process (Flask test clients, no network) on a fresh SQLite file; with a PostgreSQL
server URL it creates a database of its own there and drops it afterwards.
Prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.db import database  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.users import Role  # noqa: E402
from accord.services import teams, tokens, users  # noqa: E402
from tests.web.helpers import sign_in  # noqa: E402

PASSWORD = "bench-password-0123456789"


def hub(url: str, instance: Path) -> Flask:
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                      "INSTANCE_PATH": str(instance)})
    upgrade(app)
    return app


def populate(app: Flask, count: int) -> tuple[str, list[str]]:
    """A centre with a coordinator, ``count`` teams in one group, a service account each."""
    with database(app).sessionmaker() as session:
        teams.create_team(session, "National CERT", "VN")
        users.create_user(session, "centre", "National CERT", Role.COORDINATOR, PASSWORD)
        _, coordinator = tokens.create_token(session, "centre", "bench", ["read", "write"])
        teams.create_trust_group(session, "Constituents")
        secrets = []
        for index in range(count):
            name = f"Constituent {index:03d}"
            teams.create_team(session, name, "VN")
            teams.add_team_to_group(session, "Constituents", name)
            users.create_user(session, f"bot{index:03d}", name, Role.SERVICE, None)
            secrets.append(tokens.create_token(session, f"bot{index:03d}", "bench",
                                               ["read", "write"])[1])
        session.commit()
    return coordinator, secrets


@contextmanager
def own_database(url: str) -> Iterator[str]:
    """A new empty PostgreSQL database beside ``url``'s, dropped afterwards."""
    server = make_url(url)
    name = f"accord_bench_adv_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(call: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=70)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = stack.enter_context(own_database(args.database_url)) if args.database_url \
            else f"sqlite:///{tmp}/bench.db"
        app = hub(url, Path(tmp))
        coordinator, secrets = populate(app, args.teams)
        api = app.test_client()

        def call(token: str, method: str, path: str, **kwargs: Any) -> None:
            response = api.open(f"/api/v1/advisories{path}", method=method,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)
            assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]

        start = time.perf_counter()
        issued = api.post("/api/v1/advisories", headers={"Authorization": f"Bearer {coordinator}"},
                          json={"title": "Bench advisory", "severity": "high", "tlp": "amber",
                                "body": "Patch.", "recipients": {"groups": ["Constituents"]}})
        assert issued.status_code == 201 and issued.json is not None, issued.data[:300]
        issue_ms = (time.perf_counter() - start) * 1000
        ref = str(issued.json["ref"])
        ack = [0.0]
        for token in secrets:
            began = time.perf_counter()
            call(token, "POST", f"/{ref}/acknowledge")
            ack.append((time.perf_counter() - began) * 1000)
            call(token, "POST", f"/{ref}/status", json={"status": "mitigated"})
        web = app.test_client()
        sign_in(web, "centre", PASSWORD)

        def page() -> None:
            response = web.get(f"/advisories/{ref}/matrix")
            assert response.status_code == 200 and f"Constituent {args.teams - 1:03d}" in \
                response.get_data(as_text=True)

        print(f"teams: {args.teams}; database: {url.split(':')[0]}")
        print(f"issue to {args.teams} teams: {issue_ms:.0f} ms")
        print(f"acknowledge (API), median: {statistics.median(ack[1:]):.1f} ms")
        print(f"matrix page (HTML), median of {args.runs}: {timed(page, args.runs):.1f} ms")
        for label, path in (("matrix CSV", "matrix?format=csv"),
                            ("report markdown", "report?format=markdown")):
            median = timed(partial(call, coordinator, "GET", f"/{ref}/{path}"), args.runs)
            print(f"{label} (API), median of {args.runs}: {median:.1f} ms")


if __name__ == "__main__":
    main()
