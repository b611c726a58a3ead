"""Benchmark: the cost of IEP 2.0 enforcement on the read path (issue 17).

On a new SQLite file (or ``--database-url``), one collection of ``--n`` indicators, a tenth of
them expired for recipients and half of those hiding their source. Measured in the same run:

- a partner's full keyset walk (``read_page``, 1000 per page) with the read policy as shipped,
  against the same walk with the validity condition removed (the peer: TLP only);
- serving 1000 documents with ``served_document``: stored text verbatim (no hiding policy)
  against re-encoding with the hub as ``created_by_ref`` (``attribution: must-not``);
- the retention audit over the expired versions (``record_expired``), once.

    .venv/bin/python bench/iep_reads.py [--n 50000] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "platform"),
                str(Path(__file__).resolve().parents[1])]

from sqlalchemy import true, update  # noqa: E402

from accord.assembly import create_app  # noqa: E402
from accord.db import database, utcnow  # noqa: E402
from accord.migrate import upgrade  # noqa: E402
from accord.models.stix import StixObject  # noqa: E402
from accord.services import collections, teams  # noqa: E402
from accord.sharing import query, retention, visibility  # noqa: E402
from accord.sharing.ingest import Author, add_objects  # noqa: E402
from accord.sharing.recipient_view import served_document  # noqa: E402
from accord.tlp import ReadAccess, Tlp  # noqa: E402

HIDING = {"attribution": "must-not", "end_date": "2026-01-01T00:00:00Z"}


def _indicator(n: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T08:00:00.000Z", "modified": "2026-11-01T08:00:00.000Z",
            "name": f"Host {n}", "pattern": f"[ipv4-addr:value = '10.{n // 65536}."
            f"{n // 256 % 256}.{n % 256}']", "pattern_type": "stix",
            "valid_from": "2026-11-01T08:00:00Z"}


def _walk(session: Any, collection_id: uuid.UUID, access: ReadAccess) -> int:
    after, seen = None, 0
    while True:
        page = query.read_page(session, [StixObject.document], collection_id, access,
                               query.ObjectFilter(), 1000, after)
        seen += len(page.rows)
        if not page.more:
            return seen
        after = page.last_added


def _median(runs: int, work: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="accord-iep-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    app = create_app({"SECRET_KEY": "bench-secret-key-long-enough-for-accord", "DATABASE_URL":
                      url, "INSTANCE_PATH": folder})
    upgrade(app)
    with app.app_context():
        session = database(app).sessionmaker()
        source = teams.create_team(session, f"Source {uuid.uuid4().hex[:6]}", "VN")
        partner = teams.create_team(session, f"Partner {uuid.uuid4().hex[:6]}", "EE")
        collection = collections.create_collection(session, f"Bench {uuid.uuid4().hex[:6]}",
                                                   source.name)
        session.commit()
        for start in range(0, args.n, 5000):
            add_objects(session, collection, [_indicator(n) for n in range(
                start, min(start + 5000, args.n))], Author(source.id), validate=False)
            session.commit()
        pks = [pk for (pk,) in session.execute(StixObject.__table__.select().with_only_columns(
            StixObject.pk).where(StixObject.collection_id == collection.id))]
        expired = pks[::10]
        past = utcnow() - timedelta(days=1)
        session.execute(update(StixObject).where(StixObject.pk.in_(expired[::2])).values(
            expires_at=past, iep_policy=HIDING))
        session.execute(update(StixObject).where(StixObject.pk.in_(expired[1::2])).values(
            expires_at=past))
        session.commit()
        access = ReadAccess(team_id=partner.id, max_tlp=Tlp.AMBER)

        enforced, served = _median(args.runs, lambda: _walk(session, collection.id, access))
        shipped = visibility.in_force_clause
        visibility.in_force_clause = lambda *a, **k: true()  # type: ignore[assignment]
        try:
            peer, unfiltered = _median(args.runs, lambda: _walk(session, collection.id, access))
        finally:
            visibility.in_force_clause = shipped  # type: ignore[assignment]
        print(f"database: {url.split(':')[0]}, versions: {args.n}, expired: {len(expired)}")
        print(f"partner walk, IEP validity enforced: {enforced * 1000:.0f} ms median "
              f"({served} served)")
        print(f"partner walk, TLP only (peer):       {peer * 1000:.0f} ms median "
              f"({unfiltered} served); ratio {enforced / peer:.2f}")

        document = session.scalar(StixObject.__table__.select().with_only_columns(
            StixObject.document).limit(1))
        verbatim, _ = _median(args.runs, lambda: [served_document(
            document, None, False, "Accord hub") for _ in range(1000)])
        hidden, _ = _median(args.runs, lambda: [served_document(
            document, HIDING, True, "Accord hub") for _ in range(1000)])
        print(f"1000 documents served verbatim: {verbatim * 1000:.2f} ms; with the source "
              f"withheld: {hidden * 1000:.2f} ms; ratio {hidden / max(verbatim, 1e-9):.0f}")
        start = time.perf_counter()
        recorded = retention.record_expired(session)
        session.commit()
        print(f"retention audit: {recorded} expiries recorded in "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")
        session.close()


if __name__ == "__main__":
    main()
