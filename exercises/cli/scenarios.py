"""``accord exercise validate|import|export|scenarios``.

The scenario library (YAML, CSV) is imported by these commands when they run, not by every
``accord exercise`` command (issue 15).
"""

from __future__ import annotations

from typing import Any

import click

from accord.cli.output import CommandError, app_command, emit, json_option, table, unit_of_work
from exercises.cli.group import actor, as_option, exercise_group, read_file, write_output
from exercises.scenarios.checking import ScenarioInvalid

FORMATS = click.Choice(["yaml", "json", "csv"])
format_option = click.option("--format", "fmt", type=FORMATS, default=None,
                             help="Source format (default: from the file name).")
header_option = click.option("--header", "header_file", default=None, metavar="FILE",
                             help="CSV only: YAML/JSON file with title, teams, objectives...")


def _load(path: str, fmt: str | None, header_file: str | None) -> tuple[dict[str, Any], str]:
    from exercises.scenarios import library, scenario_format

    fmt = fmt or scenario_format.detect_format(path)
    header = None
    if header_file:
        header = scenario_format.load_source(read_file(header_file),
                                      scenario_format.detect_format(header_file))
        if not isinstance(header, dict):
            raise CommandError(f"{header_file}: the header must be a mapping")
    title = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return library.load_document(read_file(path), fmt, header, title), fmt


@exercise_group.command("validate")
@click.argument("path", metavar="FILE")
@format_option
@header_option
@json_option
@app_command
def validate_command(path: str, fmt: str | None, header_file: str | None, as_json: bool) -> None:
    """Check a scenario file and report every problem with its path."""
    try:
        document, _ = _load(path, fmt, header_file)
    except ScenarioInvalid as exc:
        errors = exc.details["errors"]
        emit(as_json, {"valid": False, "errors": errors},
             [f"{path}: {len(errors)} problem(s)"] +
             [f"  {e['path']}: {e['message']}" if e["path"] else f"  {e['message']}"
              for e in errors])
        raise SystemExit(1) from None
    emit(as_json, {"valid": True, "title": document["title"], "version": document["version"],
                   "injects": len(document["injects"])},
         f"{path}: valid ({document['title']} version {document['version']}, "
         f"{len(document['injects'])} injects)")


@exercise_group.command("import")
@click.argument("path", metavar="FILE")
@format_option
@header_option
@click.option("--replace", is_flag=True,
              help="Overwrite a scenario with the same title and version.")
@as_option
@json_option
@app_command
def import_command(path: str, fmt: str | None, header_file: str | None, replace: bool,
                   as_user: str | None, as_json: bool) -> None:
    """Validate and store a scenario (YAML, JSON, or a CSV master scenario events list)."""
    try:
        document, source = _load(path, fmt, header_file)
    except ScenarioInvalid as exc:
        raise CommandError(exc.description) from None
    from exercises.scenarios import library

    with unit_of_work() as session:
        record = library.save(session, document, source, actor(session, as_user), replace)
        data = library.summary(record)
    emit(as_json, data, f"Imported {data['title']} version {data['version']} "
                        f"({data['injects']} injects) as {data['id']}")


@exercise_group.command("export")
@click.argument("ref", metavar="SCENARIO")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.option("-o", "--output", default=None, help="Write to this file instead of stdout.")
@app_command
def export_command(ref: str, fmt: str, output: str | None) -> None:
    """Write a stored scenario (id, TITLE@VERSION or TITLE) back out as YAML or JSON."""
    from exercises.scenarios import export, library

    with unit_of_work() as session:
        document = library.find(session, ref).document
    write_output(export.to_yaml(document) if fmt == "yaml" else export.to_json(document), output)


@exercise_group.command("scenarios")
@json_option
@app_command
def scenarios_command(as_json: bool) -> None:
    """List stored scenarios."""
    from exercises.scenarios import library

    with unit_of_work() as session:
        rows = [library.summary(s) for s in library.list_scenarios(session)]
    emit(as_json, rows, table([[r["title"], r["version"], str(r["injects"]), ", ".join(r["teams"]),
                                r["id"]] for r in rows],
                              ["TITLE", "VERSION", "INJECTS", "TEAMS", "ID"]))
