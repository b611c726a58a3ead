"""An oversight report as Markdown, HTML, JSON or CSV (one data model, four renderings)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from flask import render_template

from accord.errors import BadRequest
from accord.oversight.report import OversightReport, Reading, Withdrawn, count_by

FORMATS = {"markdown": ("text/markdown; charset=utf-8", "md"),
           "html": ("text/html; charset=utf-8", "html"),
           "json": ("application/json", "json"),
           "csv": ("text/csv; charset=utf-8", "csv")}
ALIASES = {"md": "markdown", "htm": "html"}
KIND_WORDS = {"reads": "read", "exports": "exported"}


def parse_format(text: str) -> str:
    """One of :data:`FORMATS` (``md`` is Markdown); 400 naming the choices otherwise."""
    name = ALIASES.get(text.strip().lower(), text.strip().lower())
    if name not in FORMATS:
        raise BadRequest(f"format: {text[:20]!r} is not one of {', '.join(FORMATS)}")
    return name


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def filename(report: OversightReport, fmt: str) -> str:
    """A download name: the agreement title in lowercase words and the period."""
    slug = "".join(c if c.isalnum() else "-" for c in str(report.agreement["title"]).lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "agreement"
    return (f"oversight-{slug}-{report.start:%Y%m%d}-{report.end:%Y%m%d}."
            f"{FORMATS[fmt][1]}")


def render(report: OversightReport, fmt: str) -> str:
    """The report in ``fmt`` (see :func:`parse_format`)."""
    name = parse_format(fmt)
    if name == "markdown":
        return markdown(report)
    if name == "html":
        return render_template("agreements/report.html", report=report, day=day,
                               count_by=count_by, kind_words=KIND_WORDS)
    if name == "json":
        return json.dumps(as_json(report), indent=2)
    return as_csv(report)


def _reading(row: Reading) -> dict[str, Any]:
    return {"team": row.team, "collection": row.collection, "kind": row.kind,
            "requests": row.requests, "objects": row.objects, "refused": row.refused,
            "last": row.last.isoformat() if row.last else None}


def _withdrawn(row: Withdrawn) -> dict[str, Any]:
    return {"when": row.when.isoformat(), "collection": row.collection, "object": row.subject,
            "reason": row.reason, **({"team": row.team} if row.team else {})}


def as_json(report: OversightReport) -> dict[str, Any]:
    """The report as one JSON object."""
    return {
        "agreement": report.agreement,
        "period": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "generated": report.generated.isoformat(),
        "policy": [{"statement": s, "meaning": m} for s, m in report.policy],
        "retention": report.retention,
        "collections": [{"title": title, "recipients": report.recipients.get(title, [])}
                        for title in report.collections],
        "shared": {"total": report.shared_total,
                   "by_tlp": dict(count_by(report.shared, "tlp")),
                   "by_type": dict(count_by(report.shared, "stix_type")),
                   "rows": [vars(row) for row in report.shared]},
        "readings": [_reading(row) for row in report.readings],
        "expired": [_withdrawn(row) for row in report.expired],
        "held_back": [_withdrawn(row) for row in report.held_back],
    }


def as_csv(report: OversightReport) -> str:
    """One table: section, collection, team, subject, detail, count, when."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "collection", "team", "subject", "detail", "count", "when"])
    for row in report.shared:
        writer.writerow(["shared", row.collection, row.source, row.stix_type,
                         f"TLP:{row.tlp.upper()}", row.count, ""])
    for reading in report.readings:
        writer.writerow([reading.kind, reading.collection, reading.team,
                         f"{reading.objects} objects", f"{reading.refused} refused",
                         reading.requests, day(reading.last)])
    for section, rows in (("expired", report.expired), ("held back", report.held_back)):
        for item in rows:
            writer.writerow([section, item.collection, item.team, item.subject, item.reason, 1,
                             day(item.when)])
    return out.getvalue()


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def markdown(report: OversightReport) -> str:
    """The report as Markdown, in plain words."""
    terms = report.agreement
    lines = [f"# Oversight report: {terms['title']}", "",
             f"Period: {day(report.start)} to {day(report.end)} · generated "
             f"{day(report.generated)}", "",
             "## The agreement", "",
             f"- **Purpose:** {terms['purpose']}",
             f"- **Legal basis:** {terms['legal_basis'] or 'not stated'}",
             f"- **Providing team:** {terms['owner_team']}",
             f"- **Partners:** {', '.join(terms['partners'])}",
             f"- **Status:** {terms['status']} (from {terms['starts_at']}"
             f"{' to ' + terms['ends_at'] if terms['ends_at'] else ', no end date'})",
             f"- **Retention:** {report.retention}", ""]
    lines += ["### Default handling policy (FIRST IEP 2.0)", ""]
    lines += [f"- **{s}:** {m}" for s, m in report.policy] or ["- No default policy."]
    lines += ["", "## What was shared, and with whom", ""]
    for title in report.collections:
        who = ", ".join(report.recipients.get(title, [])) or "no partner"
        lines.append(f"- Collection **{title}** is shared with: {who}")
    lines += ["", f"Object versions added in the period: {report.shared_total}.", ""]
    if report.shared:
        lines += _table(["Collection", "Shared by", "Type", "TLP", "Objects"],
                        [[r.collection, r.source, r.stix_type, f"TLP:{r.tlp.upper()}", r.count]
                         for r in report.shared])
    lines += ["## What each team read", ""]
    lines += _table(["Team", "Collection", "Activity", "Requests", "Objects", "Refused", "Last"],
                    [[r.team, r.collection, r.kind, r.requests, r.objects, r.refused,
                      day(r.last)] for r in report.readings]) if report.readings else \
        ["Nobody read or exported these collections in the period.", ""]
    lines += ["## What expired", ""]
    lines += _table(["When", "Collection", "Object", "Why"],
                    [[day(r.when), r.collection, r.subject, r.reason]
                     for r in report.expired]) if report.expired else \
        ["Nothing expired in the period.", ""]
    lines += ["## What exports held back, and why", ""]
    lines += _table(["When", "Exported by", "Collection", "Object", "Why"],
                    [[day(r.when), r.team, r.collection, r.subject, r.reason]
                     for r in report.held_back]) if report.held_back else \
        ["No export held anything back in the period.", ""]
    return "\n".join(lines)
