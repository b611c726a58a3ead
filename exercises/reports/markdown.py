"""The after-action report as Markdown (also the source of the HTML rendering).

Everything players, evaluators and coordinators typed is escaped (HTML and table pipes), so a
response cannot inject markup into the rendered report.
"""

from __future__ import annotations

from html import escape
from typing import Any

from exercises.reports.chart import timing_chart
from exercises.runs.marking import EXERCISE_STATEMENT
from exercises.scenarios.durations import human


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    if value is None or value == "":
        return "—"
    text = escape(str(value), quote=False).replace("|", "\\|")
    return " ".join(text.split())


def para(value: str) -> str:
    """Free text as a Markdown paragraph, HTML escaped."""
    return escape(value, quote=False)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["_None._", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]


def _overview(report: dict[str, Any]) -> list[str]:
    ex, sc, ov = report["exercise"], report["scenario"], report["overview"]
    mode = f"rehearsal at ×{ex['speed']:g}" if ex["rehearsal"] else "live drill"
    lines = ["## Overview", ""]
    lines += _table(["Field", "Value"], [
        ["Scenario", f"{sc['title']} (version {sc['version']})"],
        ["Mode", mode], ["State", ex["state"]], ["Run by", ex["owner_team"]],
        ["Planned start (UTC)", ex["planned_start_at"]], ["Started (UTC)", ex["started_at"]],
        ["Ended (UTC)", ex["ended_at"]], ["Time paused", human(ex["paused_seconds"])],
        ["Default TLP", sc["default_tlp"].upper()],
        ["Injects", ", ".join(f"{k} {v}" for k, v in ov["injects"].items())],
        ["Evaluators", ", ".join(ov["evaluators"])], ["Observers", ", ".join(ov["observers"])],
    ])
    if sc["description"]:
        lines += [para(sc["description"]), ""]
    lines += ["### Participating teams", ""]
    lines += _table(["Team", "Plays", "Role", "Country", "Time zone", "Start (local)"],
                    [[t["team"], t["placeholder"], t["role"], t["country"], t["timezone"],
                      t["start_local"]] for t in ov["teams"]])
    return lines


def _objectives(report: dict[str, Any]) -> list[str]:
    lines = ["## Objectives", ""]
    for objective in report["objectives"]:
        lines += [f"### {cell(objective['id'])}: {cell(objective['text'])}", ""]
        lines += _table(["Team", "Score", "Verdicts", "Rating", "Evaluator note"], [[
            t["team"], f"{t['score']:.0%}" if t["score"] is not None else None,
            ", ".join(f"{k} {v}" for k, v in t["verdicts"].items()),
            f"{t['rating']} ({t['rating_label']})" if t["rating"] else None, t["rating_note"],
        ] for t in objective["teams"]])
    return lines


def _event_text(event: dict[str, Any]) -> str:
    kind = event["kind"]
    if kind == "inject":
        text = f"Inject {event['inject']} “{event['title']}”: {event['state']}"
        if event["released_at"]:
            text += (f", planned {event['planned_at']}, due {event['due_at']}, released "
                     f"{event['release_mode']} (delay {human(event['delay_seconds'])})")
            if event.get("late_seconds"):
                text += f", late by {human(event['late_seconds'])}"
        return text
    if kind == "stix":
        what = "revoked" if event["revoked"] else "new version of" if event["new_version"] \
            else "shared"
        unmarked = "" if event["exercise_marked"] else " (not marked as exercise data)"
        return f"STIX {what} {event['stix_type']} {event['stix_id']}{unmarked}"
    if kind == "control":
        return f"EXCON {event['action'].replace('_', ' ')}" + (
            f" {event['inject']}" if event["inject"] else "") \
            + f" by {event['actor'] or 'scheduler'}"
    if kind == "message":
        return f"Message from {event['team']} ({event['author']}) {event['text']}"
    if "text" not in event:  # from a timeline source this renderer does not know
        return f"{kind.capitalize()}" + (f" by {event['author']}" if event.get("author") else "")
    detail = event["decision"] or event["text"] or ""
    return f"{kind.capitalize()} to {event['inject']} by {event['author']}" + (
        f": {detail}" if detail else "")


def _local(value: str | None) -> str | None:
    """``2026-12-03T17:05:09+07:00`` as ``12-03 17:05:09``."""
    return f"{value[5:10]} {value[11:19]}" if value else None


def _timeline(report: dict[str, Any]) -> list[str]:
    lines = ["## Timeline", "",
             "Scenario time counts from STARTEX with pauses left out"
             + (f" and hub time multiplied by {report['exercise']['speed']:g}"
                if report["exercise"]["rehearsal"] else "") + ".", ""]
    teams = [(t["team"], t["timezone"]) for t in report["overview"]["teams"]]
    return lines + _table(
        ["Scenario", "Hub (UTC)", *[f"{name} ({zone})" for name, zone in teams], "Team",
         "Event"], [
            [event["scenario_time"], event["at"][:19].replace("T", " "),
             *[_local(event["local"].get(name)) for name, _ in teams], event["team"],
             _event_text(event)] for event in report["timeline"]])


def _reliability(report: dict[str, Any]) -> list[str]:
    section = report["reliability"]
    lines = ["## Hub reliability", "", "### Scheduler outages", ""]
    lines += _table(["From (UTC)", "To (UTC)", "Length", "Scheduler before", "Taken over by"], [
        [o["from"], o["to"], o["duration"], o["previous_scheduler"], o["scheduler"]]
        for o in section["outages"]])
    lines += ["### Late releases", ""]
    lines += _table(["Inject", "Due (UTC)", "Released (UTC)", "Late (hub)", "Late (scenario)"], [
        [r["inject"], r["due_at"], r["released_at"], human(r["late_seconds"]),
         human(r["late_scenario_seconds"])] for r in section["late_releases"]])
    return lines


def _metrics(report: dict[str, Any]) -> list[str]:
    speed = report["exercise"]["speed"]
    lines = ["## Team metrics", ""]
    if report["exercise"]["rehearsal"]:
        lines += [f"Times are hub time; multiply by {speed:g} for scenario time "
                  "(the chart already does).", ""]
    lines += _table(["Team", "Injects", "Acknowledged", "Mean time to acknowledge",
                     "Time to first share", "STIX objects", "Responses", "Met",
                     "Partially met", "Late", "Missed", "Not met", "Pending"], [[
        m["team"], m["injects_received"], m["acknowledged"],
        human(m["time_to_acknowledge"]["mean_seconds"]), human(m["time_to_first_share_seconds"]),
        m["stix_objects"], m["responses"], m["expectations"]["met"],
        m["expectations"]["partially_met"], m["expectations"]["late"],
        m["expectations"]["missed"], m["expectations"]["not_met"], m["expectations"]["pending"],
    ] for m in report["metrics"]])
    return [*lines, timing_chart(report["metrics"]), ""]


def _expectations(report: dict[str, Any]) -> list[str]:
    lines = ["## Expected actions", ""]
    lines += _table(["Inject", "Action", "Team", "Evidence", "Deadline (UTC)", "Verdict",
                     "Evidence at", "Judged by", "Note"], [[
        e["inject"], e["text"], e["team"], e["evidence_kind"], e["deadline_at"],
        e["verdict"] + (f" (auto: {e['auto_verdict']})" if e["override_reason"] else ""),
        e["evidence_at"], e["judged_by"], e["note"]] for e in report["expectations"]])
    lines += ["### Overridden automatic verdicts", ""]
    lines += _table(["Inject", "Action", "Team", "Automatic", "Final", "By", "Reason"], [[
        e["inject"], e["action"], e["team"], e["auto_verdict"], e["verdict"], e["judged_by"],
        e["override_reason"]] for e in report["overrides"]])
    return lines


def _notes(title: str, notes: list[dict[str, Any]]) -> list[str]:
    lines = [f"## {title}", ""]
    if not notes:
        return [*lines, "_None._", ""]
    for note in notes:
        about = ", ".join(x for x in (note["team"], note["objective"]) if x)
        label = note["kind"].capitalize() + (f" ({about})" if about else "")
        lines.append(f"- **{cell(label)}**, {cell(note['author'])}: {cell(note['text'])}")
    return [*lines, ""]


def render_markdown(report: dict[str, Any]) -> str:
    """The whole report as Markdown text."""
    ex = report["exercise"]
    lines = [f"# After-action report: {cell(ex['name'])}", "",
             f"> **{para(EXERCISE_STATEMENT)}**" + (" Rehearsal run." if ex["rehearsal"] else ""),
             "", f"Generated {report['generated_at']} (UTC).", ""]
    lines += _overview(report)
    lines += _objectives(report)
    lines += _timeline(report)
    lines += _reliability(report)
    lines += _metrics(report)
    lines += _expectations(report)
    lines += _notes("Evaluator observations", report["observations"])
    lines += _notes("Lessons learned", report["lessons"])
    lines += ["## Improvement plan", ""]
    lines += _table(["Capability", "Objective", "Observation", "Recommendation",
                     "Corrective action", "Owner", "Start", "Due", "Status"], [[
        i["capability"], i["objective"], i["observation"], i["recommendation"], i["action"],
        i["owner_team"], i["start_date"], i["due_date"], i["status"]]
        for i in report["improvement_plan"]])
    return "\n".join(lines)
