"""Progress on long CLI work (issue 18): ``accord db upgrade`` shows each migration on standard
error (a bar on a terminal, periodic lines elsewhere) and ends with one summary line;
``--quiet`` silences all of it. The display itself is tested on a fake terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from accord.assembly import create_app
from accord.cli import progress
from accord.cli.progress import Progress
from accord.migrate import pending
from tests.conftest import TEST_SECRET


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _upgrade(tmp_path: Path, name: str, *args: str) -> tuple[int, str, str]:
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / name}"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade", *args])
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_shows_each_migration_then_a_summary(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"})
    total = pending(app)
    assert total is not None and total > 5
    code, out, err = _upgrade(tmp_path, "new.sqlite3")
    assert code == 0, err
    steps = [line for line in err.splitlines() if line.startswith("Migrations: applied ")]
    assert len(steps) == total
    assert "applied 0100_exercises_play" in err
    assert out.splitlines()[-1].startswith("Created the Accord schema (revision ")
    code, out, err = _upgrade(tmp_path, "new.sqlite3")
    assert code == 0 and "Migrations:" not in err
    assert out.splitlines()[-1].startswith("Database is up to date")


def test_db_upgrade_quiet_prints_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)
    code, out, err = _upgrade(tmp_path, "quiet.sqlite3", "--quiet")
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "quiet.sqlite3").stat().st_size > 0


def test_lines_are_periodic_not_per_item() -> None:
    now = [0.0]
    out = io.StringIO()
    with Progress("Work", stream=out, clock=lambda: now[0]) as shown:
        for item in range(1, 101):
            now[0] = item * 0.5  # one item every half second: a line every 5 s, not 100
            shown.update(item)
    assert out.getvalue().splitlines() == [f"Work: {n}" for n in range(10, 101, 10)]


def test_a_terminal_gets_a_bar_or_a_status_line_then_a_clean_line() -> None:
    terminal = Terminal()
    with Progress("Migrations", total=3, stream=terminal) as bar:
        for _ in range(3):
            bar.advance()
    assert "3/3" in terminal.getvalue() and "[###" in terminal.getvalue()
    terminal = Terminal()
    now = [0.0]
    with Progress("Feed f", stream=terminal, clock=lambda: now[0]) as status:
        now[0] = 1.0
        status.update(1, "1 pages, 50 stored")
    written = terminal.getvalue()
    assert written.startswith("\rFeed f: 1 pages, 50 stored") and written.endswith("\r")
    assert "\n" not in written


def test_quiet_writes_nothing_even_on_a_terminal() -> None:
    terminal = Terminal()
    with Progress("Migrations", total=3, stream=terminal, quiet=True) as bar:
        bar.advance()
    assert terminal.getvalue() == ""


def test_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    code, out, err = _upgrade(tmp_path, "bad.sqlite3", "--revision", "nope")
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == [
        "Error: revision 'nope': Can't locate revision identified by 'nope'"]
