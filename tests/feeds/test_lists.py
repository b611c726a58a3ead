"""List feeds: values to STIX indicators, served over HTTP, with re-runs that add, keep, expire."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import stix2
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.models.stix import StixObject
from accord.tlp import Tlp, marking_ref
from feeds import lists, sources
from feeds.engine import run_feed
from feeds.models import FeedSource, RunOutcome
from tests.feeds.conftest import Home
from tests.feeds.fakeremote import ListServer


def _feed(session: Session, app: Flask, home: Home, url: str, **settings: Any) -> FeedSource:
    feed = sources.create_feed(session, app, name=f"list-{uuid.uuid4().hex[:6]}", kind="list",
                               collection=str(home.collection.id), partner_team=home.partner.name,
                               settings={"url": url, "labels": ["blocklist"], **settings},
                               max_tlp="clear")
    session.commit()
    return feed


def _latest(session: Session, home: Home) -> dict[str, dict[str, Any]]:
    session.expire_all()
    rows = session.scalars(select(StixObject).where(StixObject.collection_id == home.collection.id,
                                                    StixObject.is_latest.is_(True)))
    return {json.loads(r.document)["name"]: json.loads(r.document) for r in rows}


@pytest.mark.parametrize(("raw", "pattern"), [
    ("203.0.113.7", "[ipv4-addr:value = '203.0.113.7']"),
    ("203.0.113.7/24", "[ipv4-addr:value = '203.0.113.0/24']"),
    ("2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
    ("Evil.Example.COM", "[domain-name:value = 'evil.example.com']"),
    ("https://evil.example/a?b='c'", "[url:value = 'https://evil.example/a?b=\\'c\\'']"),
    ("D41D8CD98F00B204E9800998ECF8427E",
     "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"),
    ("a" * 64, f"[file:hashes.'SHA-256' = '{'a' * 64}']"),
])
def test_values_become_valid_patterns(raw: str, pattern: str) -> None:
    _, built = lists.pattern_for(raw)
    assert built == pattern
    stix2.Indicator(pattern=built, pattern_type="stix")  # the stix2 library accepts it


def test_bad_lines_are_rejected_with_their_line_number() -> None:
    parsed = lists.parse("# comment\n198.51.100.1\nnot a value!\n\n198.51.100.1\n")
    assert list(parsed.values) == ["198.51.100.1"]
    assert [r["line"] for r in parsed.rejected] == [3]
    assert "is not an IP address, CIDR, domain, URL or MD5/SHA hash" in parsed.rejected[0]["reason"]


def test_csv_column() -> None:
    parsed = lists.parse("first_seen,ioc,kind\n2026-01-01,evil.test,domain\n", "csv", "ioc")
    assert list(parsed.values) == ["evil.test"]
    with pytest.raises(ValueError, match="column 'nope' not found"):
        lists.parse("a,b\n1,2\n", "csv", "nope")


def test_list_feed_adds_keeps_expires_and_revives(app: Flask, session: Session, home: Home,
                                                  list_server: ListServer) -> None:
    list_server.body = b"198.51.100.1\nevil.example\n# comment\nbogus value!\n"
    feed = _feed(session, app, home, list_server.url)

    first = run_feed(app, feed.id)
    assert first is not None
    assert first.outcome == RunOutcome.SUCCESS, first.error
    assert (first.stored, first.rejected, first.expired) == (2, 1, 0)
    assert first.reasons[0]["line"] == 4
    latest = _latest(session, home)
    ip = latest["198.51.100.1"]
    assert ip["id"] == lists.indicator_id(feed.id, "198.51.100.1")
    assert ip["object_marking_refs"] == [marking_ref(Tlp.CLEAR)]
    assert ip["labels"] == ["blocklist"] and "valid_until" not in ip
    assert ip["created_by_ref"] == home.partner.identity_id
    stix2.parse(ip)

    second = run_feed(app, feed.id)  # unchanged list: nothing new
    assert second is not None and (second.stored, second.already_known) == (0, 2)

    list_server.body = b"evil.example\nhttps://phish.example/login\n"
    third = run_feed(app, feed.id)
    assert third is not None and (third.stored, third.expired, third.already_known) == (2, 1, 1)
    expired = _latest(session, home)["198.51.100.1"]
    assert expired["id"] == ip["id"] and "valid_until" in expired
    assert expired["valid_until"] > expired["valid_from"]
    stix2.parse(expired)

    list_server.body = b"198.51.100.1\nevil.example\nhttps://phish.example/login\n"
    fourth = run_feed(app, feed.id)
    assert fourth is not None and fourth.stored == 1
    revived = _latest(session, home)["198.51.100.1"]
    assert "valid_until" not in revived and revived["modified"] > expired["modified"]
    versions = session.scalars(select(StixObject).where(StixObject.stix_id == ip["id"])).all()
    assert len(versions) == 3
    assert [v.is_latest for v in sorted(versions, key=lambda v: v.version)] == [False, False, True]


def test_list_feed_from_a_file(app: Flask, session: Session, home: Home,
                               tmp_path: Any) -> None:
    path = tmp_path / "iocs.csv"
    path.write_text("ioc,comment\n192.0.2.10,scanner\n192.0.2.11,scanner\n")
    app.config["FEEDS_LIST_DIRECTORY"] = str(tmp_path)  # local files are off unless configured
    feed = _feed(session, app, home, str(path), format="csv", column="ioc")
    run = run_feed(app, feed.id)
    assert run is not None and run.stored == 2
