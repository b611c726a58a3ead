"""``accord share`` and ``accord export``: sharing for people without a TAXII client (issue 3)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stix2
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.cli import progress
from accord.models.audit import AuditEvent
from accord.models.collections import Collection
from accord.models.stix import StixObject
from accord.models.teams import Team
from accord.models.users import Role, User
from accord.sharing import export as export_module
from accord.sharing.share import hub_checked, indicator_id
from accord.tlp import TLP1_MARKING_IDS, Tlp, marking_ref
from tests.conftest import TEST_SECRET
from tests.factories import make_collection, make_grant, make_team, make_user
from tests.taxii.conftest import envelope, indicator

ACCORD = Path(sys.executable).with_name("accord")
GOOD_AND_BAD = """# partner scan list
198.51.100.7
2001:DB8::1   scanner
203.0.113.0/24

Evil.Example.COM.
not a value!
https://phish.example/login#x
D41D8CD98F00B204E9800998ECF8427E
-bad-.example
""" + "a" * 64 + "\n" + "b" * 40 + "\n"


@dataclass
class Home:
    """Owner and partner teams on one collection, a GREEN-only reader and a service account."""

    owner: Team
    partner: Team
    green: Team
    lan: User
    kristjan: User
    collection: Collection


@pytest.fixture
def home(session: Session) -> Home:
    owner, partner = make_team(session, "CERT-VN", "VN"), make_team(session, "CERT-EE", "EE")
    green = make_team(session, "CERT-GR", "GR")
    lan = make_user(session, owner, Role.ANALYST, username="lan")
    kristjan = make_user(session, partner, Role.ANALYST, username="kristjan")
    make_user(session, green, Role.ANALYST, username="gia")
    make_user(session, owner, Role.SERVICE, username="bot")
    make_user(session, partner, Role.OBSERVER, username="olev")
    collection = make_collection(session, owner, "Partner indicators", alias="partner-iocs",
                                 allows_red=True)
    make_grant(session, collection, owner, read=True, write=True, max_tlp=Tlp.RED)
    make_grant(session, collection, partner, read=True, write=True, max_tlp=Tlp.AMBER)
    make_grant(session, collection, green, read=True, write=False, max_tlp=Tlp.GREEN)
    return Home(owner, partner, green, lan, kristjan, collection)


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def share(app: Flask, text: str, *args: str, user: str = "lan") -> Result:
    return cli(app, "share", "-", "--collection", "partner-iocs", "--as", user, *args, input=text)


def share_json(app: Flask, text: str, *args: str, user: str = "lan") -> tuple[int, Any]:
    result = share(app, text, "--json", *args, user=user)
    return result.exit_code, json.loads(result.stdout)


def export(app: Flask, user: str, *args: str) -> Result:
    return cli(app, "export", "partner-iocs", "--as", user, *args)


def latest(session: Session, collection: Collection) -> dict[str, dict[str, Any]]:
    session.expire_all()
    rows = session.scalars(select(StixObject).where(StixObject.collection_id == collection.id,
                                                    StixObject.is_latest.is_(True)))
    return {row.stix_id: json.loads(row.document) for row in rows}


def audits(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def test_share_a_list_with_good_and_bad_lines(app: Flask, session: Session, home: Home) -> None:
    code, body = share_json(app, GOOD_AND_BAD, "--tlp", "green", "--label", "scanner",
                            "--valid-until", "2099-01-01")
    assert code == 3  # some lines failed; the good ones are stored
    assert (body["stored"], body["duplicate"], body["failed"]) == (8, 0, 2)
    failed = [r for r in body["results"] if r["result"] == "failed"]
    assert [r["line"] for r in failed] == [7, 10]
    assert "'not' is not an IP address" in failed[0]["reason"]
    patterns = {
        "198.51.100.7": "[ipv4-addr:value = '198.51.100.7']",
        "2001:db8::1": "[ipv6-addr:value = '2001:db8::1']",
        "203.0.113.0/24": "[ipv4-addr:value = '203.0.113.0/24']",
        "evil.example.com": "[domain-name:value = 'evil.example.com']",
        "https://phish.example/login#x": "[url:value = 'https://phish.example/login#x']",
        "d41d8cd98f00b204e9800998ecf8427e":
            "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']",
        "a" * 64: f"[file:hashes.'SHA-256' = '{'a' * 64}']",
        "b" * 40: f"[file:hashes.'SHA-1' = '{'b' * 40}']",
    }
    stored = {r["value"]: r for r in body["results"] if r["result"] == "stored"}
    assert set(stored) == set(patterns)
    assert stored["198.51.100.7"]["line"] == 2 and stored["b" * 40]["line"] == 12
    objects = latest(session, home.collection)
    for value, pattern in patterns.items():
        obj = objects[stored[value]["id"]]
        assert obj["id"] == indicator_id(home.owner.id, home.collection.id, value)
        assert (obj["pattern"], obj["name"], obj["pattern_type"]) == (pattern, value, "stix")
        assert obj["object_marking_refs"] == [marking_ref(Tlp.GREEN)]
        assert obj["created_by_ref"] == home.owner.identity_id
        assert obj["labels"] == ["scanner"]
        assert obj["valid_until"] == "2099-01-01T00:00:00.000Z"
        stix2.parse(obj)  # valid STIX 2.1, pattern included
    rows = session.scalars(select(StixObject).where(StixObject.collection_id ==
                                                    home.collection.id)).all()
    assert {(r.tlp, r.source_team_id, r.source_user_id) for r in rows} == {
        (Tlp.GREEN, home.owner.id, home.lan.id)}
    event = audits(session, "cli.share")[-1]
    assert (event.actor_name, event.team_name, event.target_id) == (
        "lan", "CERT-VN", str(home.collection.id))
    assert (event.details["stored"], event.details["rejected_lines"]) == (8, 2)


def test_hub_built_indicators_are_checked_before_skipping_validation() -> None:
    good = [indicator(f"198.51.100.{n}") for n in range(3)]
    assert hub_checked(good)
    assert not hub_checked([*good, indicator("198.51.100.9", pattern="[ipv4-addr:value = ")])
    assert not hub_checked([indicator("198.51.100.9", valid_from="yesterday")])


def test_text_report_and_reruns(app: Flask, session: Session, home: Home) -> None:
    first = share(app, "198.51.100.7\nevil.example\nnonsense\n", "--verbose")
    assert first.exit_code == 3
    lines = first.stdout.splitlines()
    assert lines[0].startswith("stored     line 1: indicator--") and "198.51.100.7" in lines[0]
    assert lines[2].startswith("failed     line 3: 'nonsense' is not")
    assert lines[-1] == ("Shared standard input to 'Partner indicators' as lan: "
                         "2 stored, 0 duplicate, 1 failed")

    again = share(app, "198.51.100.7\nevil.example\n", "-v")
    assert again.exit_code == 0, again.output
    assert [line.split()[0] for line in again.stdout.splitlines()[:2]] == ["duplicate"] * 2
    assert len(latest(session, home.collection)) == 2

    code, body = share_json(app, "198.51.100.7\n", "--tlp", "clear")
    assert code == 0 and body["stored"] == 1  # changed options: a new version, same id
    versions = session.scalars(select(StixObject).where(
        StixObject.stix_id == indicator_id(home.owner.id, home.collection.id, "198.51.100.7"))
        .order_by(StixObject.version)).all()
    old, new = (json.loads(v.document) for v in versions)
    assert new["created"] == old["created"] and new["modified"] > old["modified"]
    assert new["object_marking_refs"] == [marking_ref(Tlp.CLEAR)]
    assert [v.is_latest for v in versions] == [False, True]


def test_share_prints_failures_and_a_summary_unless_verbose_or_quiet(app: Flask,
                                                                     home: Home) -> None:
    """5,000 values give one summary line, not 5,002 (issue 18); failures are still named."""
    values = "".join(f"198.51.{n // 250}.{n % 250 + 1}\n" for n in range(300)) + "nonsense\n"
    normal = share(app, values)
    assert normal.exit_code == 3
    failed, summary = normal.stdout.splitlines()
    assert failed.startswith("failed     line 301: 'nonsense'")
    assert summary == ("Shared standard input to 'Partner indicators' as lan: 300 stored, "
                       "0 duplicate, 1 failed")
    quiet = share(app, values, "--quiet")
    assert quiet.exit_code == 3 and quiet.stdout == ""
    verbose = share(app, values, "--verbose")
    assert len(verbose.stdout.splitlines()) == 302
    both = share(app, values, "-q", "-v")
    assert both.exit_code == 2 and "choose one of --verbose and --quiet" in both.stderr
    summary_only = export(app, "lan", "--format", "csv", "-o", "-", "--quiet")
    assert summary_only.exit_code == 0 and summary_only.stderr == ""


def test_share_a_bundle_with_valid_and_invalid_objects(app: Flask, session: Session,
                                                       home: Home, tmp_path: Path) -> None:
    good = indicator("198.51.100.9", Tlp.AMBER)
    bad_pattern = indicator("198.51.100.10", pattern="[ipv4-addr:value = ")
    no_id = {"type": "indicator", "spec_version": "2.1"}
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
              "objects": [good, bad_pattern, no_id, "not an object"]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    args = ["share", str(path), "--collection", str(home.collection.id), "--as", "kristjan",
            "--json"]
    result = cli(app, *args)
    assert result.exit_code == 3
    body = json.loads(result.stdout)
    assert (body["input"], body["stored"], body["failed"]) == ("stix", 1, 3)
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[good["id"]] == {"id": good["id"], "version": "2026-11-01T08:00:00.000000Z",
                                 "result": "stored"}
    assert "pattern" in by_id[bad_pattern["id"]]["reason"]
    assert latest(session, home.collection)[good["id"]] == good  # stored exactly as written

    path.write_text(json.dumps(envelope(good)))  # a TAXII envelope works too
    rerun = json.loads(cli(app, *args).stdout)
    assert [r["result"] for r in rerun["results"]] == ["duplicate"]

    marked = share(app, json.dumps(envelope(good)), "--tlp", "red")
    assert marked.exit_code == 1
    assert marked.stderr == ("Error: --tlp: only for lists of values; STIX objects are "
                             "stored as written\n")


@pytest.mark.parametrize(("user", "message"), [
    ("gia", "Error: team 'CERT-GR' may not write to collection 'Partner indicators'\n"),
    ("olev", "Error: the observer role does not write objects\n"),
])
def test_no_write_access_is_one_line_and_stores_nothing(app: Flask, session: Session,
                                                        home: Home, user: str,
                                                        message: str) -> None:
    result = share(app, "198.51.100.7\n", user=user)
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", message)
    assert latest(session, home.collection) == {}
    denied = audits(session, "cli.share")
    assert [(e.outcome, e.actor_name) for e in denied] == [("denied", user)]


@pytest.mark.parametrize(("args", "message"), [
    (["share", "-", "--collection", "nope", "--as", "lan"], "Error: unknown collection 'nope'"),
    (["export", "nope", "--as", "lan"], "Error: unknown collection 'nope'"),
    (["export", "partner-iocs", "--as", "ghost"], "Error: unknown user 'ghost'"),
    (["share", "/no/such/file", "--collection", "partner-iocs", "--as", "lan"],
     "Error: cannot read /no/such/file: No such file or directory"),
    (["share", "-", "--collection", "partner-iocs", "--as", "lan", "--valid-until", "2001-01-01"],
     "Error: --valid-until: 2001-01-01 is not in the future"),
    (["share", "-", "--collection", "partner-iocs", "--as", "lan"],
     "Error: standard input holds no values or STIX objects"),
    (["export", "partner-iocs", "--as", "lan", "--format", "blocklist", "--type", "report"],
     "Error: a blocklist holds indicator values only: use --type indicator"),
])
def test_bad_requests_are_one_clear_line(app: Flask, home: Home, args: list[str],
                                         message: str) -> None:
    result = cli(app, *args, input="# nothing here\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


def _shared_at_every_level(app: Flask) -> None:
    for level, value in [("clear", "192.0.2.1"), ("green", "192.0.2.2"), ("amber", "192.0.2.3"),
                         ("amber+strict", "192.0.2.4"), ("red", "192.0.2.5")]:
        assert share(app, f"{value}\n", "--tlp", level).exit_code == 0
    tlp1 = indicator("192.0.2.6", object_marking_refs=[
        next(k for k, v in TLP1_MARKING_IDS.items() if v == Tlp.GREEN)])
    assert share(app, json.dumps(envelope(tlp1)), user="kristjan").exit_code == 0


def _bundle(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    bundle: dict[str, Any] = json.loads(result.stdout)
    stix2.parse(bundle, allow_custom=True)  # a valid STIX 2.1 bundle
    return bundle


@pytest.mark.parametrize(("user", "values"), [
    ("gia", {"192.0.2.1", "192.0.2.2", "192.0.2.6"}),  # max_tlp GREEN: no AMBER
    ("kristjan", {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.6"}),
    ("lan", {f"192.0.2.{n}" for n in range(1, 7)}),  # the source team sees its own RED
    ("bot", {f"192.0.2.{n}" for n in range(1, 5)} | {"192.0.2.6"}),  # service: never RED
])
def test_export_bundle_follows_the_tlp_rules(app: Flask, session: Session, home: Home,
                                             user: str, values: set[str]) -> None:
    _shared_at_every_level(app)
    bundle = _bundle(export(app, user))
    assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    assert {o["pattern"].split("'")[1] for o in indicators} == values
    stored = latest(session, home.collection)
    for obj in indicators:  # field by field as shared; an outbound copy names its creator
        held = stored[obj["id"]]
        assert {key: value for key, value in obj.items() if key in held} == held
        assert set(obj) - set(held) <= {"created_by_ref"}
        assert obj["created_by_ref"].startswith("identity--")
    referenced = {ref for o in indicators for ref in o["object_marking_refs"]}
    markings = {o["id"]: o for o in bundle["objects"] if o["type"] == "marking-definition"}
    assert set(markings) == referenced
    for marking_id, definition in markings.items():
        assert definition["name"].startswith("TLP:")
        assert marking_id in TLP1_MARKING_IDS or definition["extensions"]
    event = audits(session, "cli.export")[-1]
    assert (event.actor_name, event.details["format"], event.details["objects"]) == (
        user, "bundle", len(values))


def test_export_csv_field_by_field(app: Flask, session: Session, home: Home) -> None:
    assert share(app, "198.51.100.7\n=cmd.example\n", "--tlp", "green",
                 "--valid-until", "2099-06-30T12:00:00Z").exit_code == 3
    report = {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
              "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
              "name": "=HYPERLINK(\"x\")", "published": "2026-11-02T00:00:00Z",
              "object_refs": [f"indicator--{uuid.uuid4()}"]}
    assert share(app, json.dumps(envelope(report)), user="kristjan").exit_code == 0
    result = export(app, "kristjan", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["id", "type", "value", "pattern", "tlp", "source_team", "created",
                             "modified", "valid_until"]
    ip = latest(session, home.collection)[indicator_id(home.owner.id, home.collection.id,
                                                       "198.51.100.7")]
    assert rows[0] == {"id": ip["id"], "type": "indicator", "value": "198.51.100.7",
                       "pattern": "[ipv4-addr:value = '198.51.100.7']", "tlp": "TLP:GREEN",
                       "source_team": "CERT-VN", "created": ip["created"],
                       "modified": ip["modified"], "valid_until": "2099-06-30T12:00:00.000Z"}
    assert rows[1] == {"id": report["id"], "type": "report", "value": "", "pattern": "",
                       "tlp": "TLP:AMBER", "source_team": "CERT-EE",
                       "created": report["created"], "modified": report["modified"],
                       "valid_until": ""}
    assert len(rows) == 2
    only = list(csv.DictReader(io.StringIO(
        export(app, "kristjan", "--format", "csv", "--type", "report").stdout)))
    assert [row["id"] for row in only] == [report["id"]]


def test_export_blocklist(app: Flask, session: Session, home: Home) -> None:
    assert share(app, "198.51.100.7\nevil.example\n" + "A" * 64 + "\n").exit_code == 0
    expired = indicator("198.51.100.20", valid_from="2020-01-01T00:00:00Z",
                        valid_until="2021-01-01T00:00:00Z")
    revoked = indicator("198.51.100.21", revoked=True)
    both = indicator("x", pattern="[ipv4-addr:value = '198.51.100.7' OR "
                                  "domain-name:value = 'o\\'brien.example']")
    complex_ = indicator("x", pattern="[ipv4-addr:value = '198.51.100.22' AND "
                                      "ipv4-addr:value = '198.51.100.23']")
    assert share(app, json.dumps(envelope(expired, revoked, both, complex_)),
                 user="kristjan").exit_code == 0
    result = export(app, "kristjan", "--format", "blocklist")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["198.51.100.7", "evil.example", "a" * 64,
                                          "o'brien.example"]
    assert result.stderr == ("Exported 4 values from 4 indicators from 'Partner indicators' "
                             "(left out: 1 expired, 1 not a simple pattern, 1 revoked)\n")


def test_export_pages_through_everything_to_a_file(app: Flask, session: Session, home: Home,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)
    assert share(app, "".join(f"192.0.2.{n}\n" for n in range(1, 8))).exit_code == 0
    target = tmp_path / "out.csv"
    result = export(app, "kristjan", "--format", "csv", "--output", str(target), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objects"] == 7
    values = [row["value"] for row in csv.DictReader(io.StringIO(target.read_text()))]
    assert values == [f"192.0.2.{n}" for n in range(1, 8)]

    missing = cli(app, "export", "nope", "--as", "lan", "--output", str(tmp_path / "no.csv"))
    assert missing.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # nothing half-written


def test_export_progress_goes_to_stderr_and_leaves_stdout_unchanged(
        app: Flask, session: Session, home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)
    assert share(app, "".join(f"192.0.2.{n}\n" for n in range(1, 8))).exit_code == 0
    quiet = export(app, "kristjan", "--format", "blocklist", "--quiet")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    assert quiet.stdout.splitlines() == [f"192.0.2.{n}" for n in range(1, 8)]
    plain = export(app, "kristjan", "--format", "blocklist")
    assert plain.stdout == quiet.stdout  # a quick export: no progress line, just the summary
    assert plain.stderr == "Exported 7 values from 7 indicators from 'Partner indicators'\n"

    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)  # a line per object read
    shown = export(app, "kristjan", "--format", "blocklist")
    assert shown.exit_code == 0 and shown.stdout == quiet.stdout
    lines = shown.stderr.splitlines()
    assert lines == [f"Exporting 'Partner indicators': {n} objects read" for n in range(1, 8)] \
        + ["Exported 7 values from 7 indicators from 'Partner indicators'"]
    assert export(app, "kristjan", "--format", "blocklist", "-q").stderr == ""


def test_exercise_collections_are_not_exported_or_fed_values(app: Flask, session: Session,
                                                             home: Home) -> None:
    drill = make_collection(session, home.owner, "Drill", alias="drill", kind="exercise")
    make_grant(session, drill, home.owner, read=True, write=True)
    result = cli(app, "export", "drill", "--as", "lan")
    assert result.exit_code == 1
    assert result.stderr == ("Error: collection 'Drill' holds exercise data and cannot be used "
                             "for export as live data\n")
    values = cli(app, "share", "-", "--collection", "drill", "--as", "lan", input="192.0.2.1\n")
    assert values.exit_code == 1 and "exercise data" in values.stderr


def test_the_accord_command_shares_and_exports(home: Home, database_url: str,
                                               tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_DATABASE_URL": database_url, "ACCORD_SECRET_KEY": TEST_SECRET,
                "ACCORD_INSTANCE_PATH": str(tmp_path)})

    def accord(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ACCORD), *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=120, check=False)

    shared = accord("share", "-", "--collection", "partner-iocs", "--as", "lan", "--json",
                    stdin="198.51.100.7\n")
    assert shared.returncode == 0, shared.stderr
    assert json.loads(shared.stdout)["stored"] == 1
    exported = accord("export", "partner-iocs", "--as", "kristjan", "--format", "blocklist")
    assert (exported.returncode, exported.stdout) == (0, "198.51.100.7\n")
    denied = accord("share", "-", "--collection", "partner-iocs", "--as", "gia",
                    stdin="198.51.100.8\n")
    assert denied.returncode == 1 and "Traceback" not in denied.stderr
    assert denied.stderr.splitlines() == [
        "Error: team 'CERT-GR' may not write to collection 'Partner indicators'"]
