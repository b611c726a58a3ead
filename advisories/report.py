"""The leadership report of an advisory, from the matrix: time to acknowledge and to mitigate
per team, their distributions, and the late list, as JSON, Markdown or HTML."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy.orm import Session

from advisories import matrix
from advisories.models import Advisory
from advisories.timing import duration_text, lateness

FORMATS = ("markdown", "html", "json")
MIMETYPES = {"markdown": "text/markdown", "html": "text/html", "json": "application/json"}
BUCKETS = ((15 * 60, "within 15 min"), (3600, "within 1 h"), (4 * 3600, "within 4 h"),
           (24 * 3600, "within 24 h"))


def distribution(values: list[float | None]) -> dict[str, int]:
    """How many teams took how long (cumulative-free buckets), and how many have not yet."""
    counts = {label: 0 for _, label in BUCKETS} | {"later": 0, "not yet": 0}
    for value in values:
        if value is None:
            counts["not yet"] += 1
            continue
        label = next((name for limit, name in BUCKETS if value <= limit), "later")
        counts[label] += 1
    return counts


def build(session: Session, advisory: Advisory, group: str | None = None) -> dict[str, Any]:
    rows = matrix.rows(session, advisory, group)
    late = [{"team": r["team"], "step": name, "late_seconds": step["late_seconds"],
             "state": step["state"]}
            for r in rows for name, step in r["steps"].items()
            if step["state"] in ("late", "overdue")]
    return {
        "advisory": {"ref": advisory.ref, "title": advisory.title, "tlp": advisory.tlp,
                     "severity": advisory.severity.value, "version": advisory.version,
                     "state": advisory.state.value, "issued_at": advisory.issued_at},
        "group": group, "summary": matrix.summary(rows),
        "teams": [{"team": r["team"], "status": r["status"],
                   "time_to_acknowledge": r["time_to_acknowledge"],
                   "time_to_mitigate": r["time_to_mitigate"]} for r in rows],
        "distributions": {
            "time_to_acknowledge": distribution([r["time_to_acknowledge"] for r in rows]),
            "time_to_mitigate": distribution([r["time_to_mitigate"] for r in rows])},
        "late": late}


def _tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables (title, header, rows) in plain text, shared by both renderings."""
    teams = [[t["team"], t["status"] or "—", duration_text(t["time_to_acknowledge"]),
              duration_text(t["time_to_mitigate"])] for t in data["teams"]]
    dist = [[label, str(data["distributions"]["time_to_acknowledge"][label]),
             str(data["distributions"]["time_to_mitigate"][label])]
            for label in data["distributions"]["time_to_acknowledge"]]
    late = [[item["team"], item["step"], item["state"], lateness(item["late_seconds"])]
            for item in data["late"]]
    return [("Per team", ["Team", "Status", "Time to acknowledge", "Time to mitigate"], teams),
            ("Distribution", ["Took", "Acknowledged", "Mitigated or not affected"], dist),
            ("Late", ["Team", "Step", "State", "By"], late)]


def _headline(data: dict[str, Any]) -> tuple[str, str]:
    adv, summary = data["advisory"], data["summary"]
    title = f"{adv['ref']}: {adv['title']} (TLP:{adv['tlp'].upper()}, {adv['severity']})"
    line = (f"{summary['recipients']} recipients; median time to acknowledge "
            f"{duration_text(summary['time_to_acknowledge']['median'])}, to mitigate "
            f"{duration_text(summary['time_to_mitigate']['median'])}; "
            f"{len(summary['late'])} teams late.")
    return title, line


def to_markdown(data: dict[str, Any]) -> str:
    title, line = _headline(data)
    out = [f"# {title}", "", line, ""]
    for name, header, rows in _tables(data):
        out += [f"## {name}", "", "| " + " | ".join(header) + " |",
                "|" + "---|" * len(header)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        out += ["" if rows else "(none)", ""]
    return "\n".join(out)


def to_html(data: dict[str, Any]) -> str:
    title, line = _headline(data)
    esc = html.escape
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}"
             f"</title></head><body><h1>{esc(title)}</h1><p>{esc(line)}</p>"]
    for name, header, rows in _tables(data):
        parts.append(f"<h2>{esc(name)}</h2><table><thead><tr>"
                     + "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in header)
                     + "</tr></thead><tbody>"
                     + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                               for row in rows)
                     + "</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)
