"""Broken list downloads never expire a blocklist, junk never becomes an indicator, defanged
values are refanged, and a list feed cannot read server files outside a configured folder."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import BadRequest
from feeds import lists, sources
from feeds.engine import run_feed
from feeds.models import FeedListValue, FeedSource, RunOutcome
from tests.feeds.conftest import Home
from tests.feeds.fakeremote import ListServer

GOOD = "\n".join(f"203.0.113.{n}" for n in range(1, 28)).encode()  # 27 indicators


def _feed(session: Session, app: Flask, home: Home, url: str, **settings: Any) -> FeedSource:
    feed = sources.create_feed(session, app, name=f"list-{uuid.uuid4().hex[:6]}", kind="list",
                               collection=str(home.collection.id), partner_team=home.partner.name,
                               settings={"url": url, **settings}, max_tlp="clear")
    session.commit()
    return feed


def _present(session: Session, feed: FeedSource) -> int:
    session.expire_all()
    return len(session.scalars(select(FeedListValue).where(
        FeedListValue.feed_id == feed.id, FeedListValue.present.is_(True))).all())


@pytest.mark.parametrize(("status", "content_type", "body", "error"), [
    (200, "text/html", b"<html><body>Service unavailable</body></html>",
     "download is an HTML page, not a list; nothing expired"),
    (200, "text/plain", b"<!DOCTYPE html>\n<html>maintenance</html>",
     "download is an HTML page, not a list; nothing expired"),
    (200, "text/plain", b"", "download is empty; nothing expired"),
    (200, "text/plain", b"  \n\n", "download is empty; nothing expired"),
    (200, "text/plain", b"203.0.113.1\n203.0.113.2\n",
     "list shrank from 27 to 2 values, more than 50% at once; nothing expired (raise "
     "max_shrink if this is real)"),
    (200, "text/plain", b"oops: quota exceeded\n",
     "download holds no valid value (1 lines rejected); nothing expired"),
    (404, "text/plain", b"", "list not found (HTTP 404)"),
    (503, "text/plain", b"", "list download failed (HTTP 503 Service Unavailable)"),
])
def test_a_broken_download_fails_the_run_and_expires_nothing(
        app: Flask, session: Session, home: Home, list_server: ListServer, status: int,
        content_type: str, body: bytes, error: str) -> None:
    list_server.body = GOOD
    feed = _feed(session, app, home, list_server.url)
    first = run_feed(app, feed.id)
    assert first is not None and first.stored == 27
    list_server.status, list_server.content_type, list_server.body = status, content_type, body
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    assert run.error == error
    assert run.expired == 0 and _present(session, feed) == 27


def test_max_shrink_lets_a_real_shrink_through(app: Flask, session: Session, home: Home,
                                               list_server: ListServer) -> None:
    list_server.body = GOOD
    feed = _feed(session, app, home, list_server.url, max_shrink=1.0)
    assert run_feed(app, feed.id) is not None
    list_server.body = b"203.0.113.1\n"
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    assert run.expired == 26 and _present(session, feed) == 1


JUNK = [
    ("0.0.0.0/0", "covers too much of the address space (/0)"),
    ("::/0", "covers too much of the address space (/0)"),
    ("10.0.0.0/8", "is a private, loopback or link-local address"),
    ("127.0.0.1", "is a private, loopback or link-local address"),
    ("0.0.0.0", "is an unspecified or broadcast address"),
    ("255.255.255.255", "is an unspecified or broadcast address"),
    ("d41d8cd98f00b204e9800998ecf8427e", "is the hash of empty content"),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "is the hash of empty content"),
    ("00000000000000000000000000000000", "is an all-zero hash"),
    ("invoice.pdf", "looks like a file name (.pdf is a file extension"),
    ("update.exe", "looks like a file name (.exe is a file extension"),
    ("javascript://alert(1)", "has the URL scheme 'javascript'"),
    ("fe80::1%eth0", "has a zone id"),
    ("https://evil.example/a b", "is a URL with an unencoded space"),
    ("http://192.168.1.1/admin", "is a private, loopback or link-local address"),
]


def test_junk_lines_are_rejected_with_line_and_reason() -> None:
    text = "\n".join(value for value, _ in JUNK) + "\n198.51.100.9\n"
    parsed = lists.parse(text)
    assert list(parsed.values) == ["198.51.100.9"]
    assert [r["line"] for r in parsed.rejected] == list(range(1, len(JUNK) + 1))
    for (_, reason), rejected in zip(JUNK, parsed.rejected, strict=True):
        assert reason in rejected["reason"], rejected


def test_real_tlds_that_look_like_extensions_stay_domains() -> None:
    parsed = lists.parse("evil.zip\nupdate.mov\ncdn.example.py\n")
    assert sorted(parsed.values) == ["cdn.example.py", "evil.zip", "update.mov"]


def test_private_ranges_are_allowed_only_with_the_option() -> None:
    text = "10.0.0.0/8\n192.168.4.7\nhttp://10.1.2.3/x\n0.0.0.0/0\n"
    parsed = lists.parse(text, allow_private=True)
    assert sorted(parsed.values) == ["10.0.0.0/8", "192.168.4.7", "http://10.1.2.3/x"]
    assert [r["line"] for r in parsed.rejected] == [4]  # the whole Internet never is


@pytest.mark.parametrize(("raw", "value"), [
    ("hxxp://evil[.]example/path", "http://evil.example/path"),
    ("hXXps[://]evil(.)example/x", "https://evil.example/x"),
    ("evil[.]example", "evil.example"),
    ("evil(.)example{.}org", "evil.example.org"),
    ("203.0.113[.]5", "203.0.113.5"),
    ("2001:db8[:]:5", "2001:db8::5"),
    ("fxp://files[.]example/a", "ftp://files.example/a"),
])
def test_defanged_values_are_refanged(raw: str, value: str) -> None:
    parsed = lists.parse(raw + "\n")
    assert list(parsed.values) == [value], parsed.rejected


def test_a_url_with_a_space_is_refused_not_truncated(app: Flask, session: Session, home: Home,
                                                     list_server: ListServer) -> None:
    list_server.body = b"https://evil.example/a b\nhttps://evil.example/ok # a comment\n"
    feed = _feed(session, app, home, list_server.url)
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.outcome == RunOutcome.SUCCESS, run.error
    session.expire_all()
    values = {v.value for v in session.scalars(
        select(FeedListValue).where(FeedListValue.feed_id == feed.id))}
    assert values == {"https://evil.example/ok"}
    assert run.reasons[0]["line"] == 1 and "unencoded space" in run.reasons[0]["reason"]


def test_local_files_are_off_by_default(app: Flask, session: Session, home: Home) -> None:
    with pytest.raises(BadRequest, match="local list files are off"):
        _feed(session, app, home, "/etc/passwd")
    with pytest.raises(BadRequest, match="local list files are off"):
        _feed(session, app, home, "file:///etc/passwd")


def test_local_files_only_under_the_configured_directory(
        app: Flask, session: Session, home: Home, tmp_path: Path) -> None:
    allowed = tmp_path / "lists"
    allowed.mkdir()
    (allowed / "iocs.txt").write_text("198.51.100.20\n")
    app.config["FEEDS_LIST_DIRECTORY"] = str(allowed)
    for outside in ("/etc/passwd", str(allowed / ".." / "secret.txt"), "../../etc/passwd"):
        with pytest.raises(BadRequest, match="local list files must be under"):
            _feed(session, app, home, outside)
    feed = _feed(session, app, home, "iocs.txt")
    run = run_feed(app, feed.id)
    assert run is not None
    assert run.stored == 1, run.error
    # A feed created while allowed stays confined if the directory setting changes.
    app.config["FEEDS_LIST_DIRECTORY"] = str(tmp_path / "elsewhere")
    refused = run_feed(app, feed.id)
    assert refused is not None and refused.outcome == RunOutcome.FAILED
    assert refused.error is not None and "list not found" in refused.error


def test_rejection_reasons_echo_only_a_short_sanitised_prefix(
        app: Flask, session: Session, home: Home, tmp_path: Path) -> None:
    secret = "root:x:0:0:the-administrator-account-with-a-long-gecos:/root:/bin/bash\x1b[31m"
    (tmp_path / "passwd").write_text(secret + "\n")
    app.config["FEEDS_LIST_DIRECTORY"] = str(tmp_path)
    feed = _feed(session, app, home, "passwd")
    run = run_feed(app, feed.id)
    assert run is not None and run.outcome == RunOutcome.FAILED
    [reason] = run.reasons
    assert "the-administrator-account" not in reason["reason"]
    assert "/bin/bash" not in reason["reason"] and "\x1b" not in reason["reason"]
    assert reason["reason"].startswith("'root:x:0:0:the-adminis")
