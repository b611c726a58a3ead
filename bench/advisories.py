"""Benchmark: a hub with 70 constituent teams and 500 users; one advisory to the 70 teams, 70
automated acknowledgements and status reports through the JSON API, then the coordinator's
matrix page (HTML), its live region, its CSV and the leadership report timed at that size.

    .venv/bin/python bench/advisories.py [--teams 70] [--users 500] [--runs 20]
                                         [--database-url URL]

Peers measured in the same run, for ratios: the coordinator's dashboard (a core page through
the same web shell) and a constituent analyst's advisory inbox. The users are the coordinator,
one service account per team (the automation that acknowledges) and analysts spread over the
teams; the analysts share one precomputed argon2 hash (hashing 430 passwords would take
minutes and is not what is measured).

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
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.credentials import hash_password  # noqa: E402
from accord.db import database  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.users import Role, User  # noqa: E402
from accord.services import teams, tokens, users  # noqa: E402
from tests.web.helpers import sign_in  # noqa: E402

PASSWORD = "bench-password-0123456789"
LIVE = "matrix live region (HTML)"
DASHBOARD = "peer: the coordinator's dashboard"
INBOX = "peer: an analyst's advisory inbox"


def hub(url: str, instance: Path) -> Flask:
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                      "INSTANCE_PATH": str(instance)})
    upgrade(app)
    return app


def populate(app: Flask, count: int, people: int) -> tuple[str, list[str]]:
    """A centre with a coordinator, ``count`` teams in one group, a service account each, and
    analysts round-robin over the teams until the hub has ``people`` users."""
    with database(app).sessionmaker() as session:
        centre = teams.create_team(session, "National CERT", "VN")
        users.create_user(session, "centre", "National CERT", Role.COORDINATOR, PASSWORD)
        _, coordinator = tokens.create_token(session, "centre", "bench", ["read", "write"])
        teams.create_trust_group(session, "Constituents")
        secrets, members = [], []
        for index in range(count):
            name = f"Constituent {index:03d}"
            members.append(teams.create_team(session, name, "VN"))
            teams.add_team_to_group(session, "Constituents", name)
            users.create_user(session, f"bot{index:03d}", name, Role.SERVICE, None)
            secrets.append(tokens.create_token(session, f"bot{index:03d}", "bench",
                                               ["read", "write"])[1])
        shared = hash_password(PASSWORD)
        for index in range(max(0, people - count - 1)):
            team = members[index % count] if members else centre
            session.add(User(credentials_version=0, username=f"analyst{index:03d}", team=team,
                             team_id=team.id, role=Role.ANALYST, password_hash=shared,
                             display_name=f"Analyst {index:03d}", email="", active=True))
        session.commit()
        total = session.scalar(select(func.count()).select_from(User))
    print(f"users: {total} ({count} service accounts, {total - count - 1} analysts, 1 coordinator)")
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
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = stack.enter_context(own_database(args.database_url)) if args.database_url \
            else f"sqlite:///{tmp}/bench.db"
        app = hub(url, Path(tmp))
        coordinator, secrets = populate(app, args.teams, args.users)
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
        web, reader = app.test_client(), app.test_client()
        sign_in(web, "centre", PASSWORD)
        sign_in(reader, "analyst000", PASSWORD)

        def get(client: FlaskClient, path: str, expect: str) -> None:
            response = client.get(path)
            assert response.status_code == 200 and expect in response.get_data(as_text=True), \
                (path, response.status_code)

        last = f"Constituent {args.teams - 1:03d}"
        pages = {"matrix page (HTML)": partial(get, web, f"/advisories/{ref}/matrix", last),
                 LIVE: partial(get, web, f"/advisories/{ref}/matrix/live", last),
                 DASHBOARD: partial(get, web, "/", "Dashboard"),
                 INBOX: partial(get, reader, "/advisories/", ref)}
        medians = {label: timed(call_page, args.runs) for label, call_page in pages.items()}
        print(f"teams: {args.teams}; database: {url.split(':')[0]}")
        print(f"issue to {args.teams} teams: {issue_ms:.0f} ms")
        print(f"acknowledge (API), median of {len(ack) - 1}: {statistics.median(ack[1:]):.1f} ms")
        for label, median in medians.items():
            print(f"{label}, median of {args.runs}: {median:.1f} ms")
        for label, path in (("matrix CSV", "matrix?format=csv"),
                            ("report markdown", "report?format=markdown")):
            median = timed(partial(call, coordinator, "GET", f"/{ref}/{path}"), args.runs)
            print(f"{label} (API), median of {args.runs}: {median:.1f} ms")
        matrix_ms = medians["matrix page (HTML)"]
        dashboard, inbox = medians[DASHBOARD], medians[INBOX]
        print(f"ratio matrix page / dashboard: {matrix_ms / dashboard:.2f}")
        print(f"ratio matrix page / analyst inbox: {matrix_ms / inbox:.2f}")
        print(f"ratio live region / matrix page: {medians[LIVE] / matrix_ms:.2f}")


if __name__ == "__main__":
    main()
