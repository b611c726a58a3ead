"""The README's examples run as written (issue 18: "the docs are the truth").

Every fenced block in README.md preceded by ``<!-- readme-test: KIND [python] expect="..." -->``
is run, so the test breaks when the README drifts:

- ``demo-output``: the banner ``make demo`` prints must match the real one line for line
  (tokens, ids, the port and the folder aside);
- ``demo``: run in a second process against a live demo hub, started the way the Makefile's
  ``demo`` target starts it (on a free loopback port, in a temporary folder), with the
  README's placeholders filled in only from what the demo printed: its URL, the token of the
  account the line names (lotus-sync by default) for ``acd_...``, a collection's id for
  ``<alias-id>``;
- ``fresh``: run in an empty folder, as a first hub from an empty database.

Each must exit 0 and print every ``expect`` text. The ``accord`` the blocks call is this
checkout's (``PYTHONPATH``), found on ``PATH`` as after ``. .venv/bin/activate``.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARKED = re.compile(r"^<!-- readme-test: (?P<spec>.+?) -->\n```(?P<lang>\w+)\n(?P<body>.*?)^```",
                    re.MULTILINE | re.DOTALL)
TOKEN = re.compile(r"acd_[A-Za-z0-9_-]{20,}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
README_BASE = "http://127.0.0.1:8000"
README_FOLDER = "/home/you/accord"
STEP_SECONDS = 180  # a guard against a hang; each block takes seconds on an idle machine


@dataclass(frozen=True)
class Example:
    """One marked block of the README."""

    kind: str
    lang: str
    body: str
    expects: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        return f"README.md line {self.line} ({self.kind} {self.lang})"


def examples(kind: str) -> list[Example]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for match in MARKED.finditer(text):
        words = shlex.split(match["spec"])
        expects = tuple(word.removeprefix("expect=") for word in words
                        if word.startswith("expect="))
        if words[0] == kind:
            found.append(Example(kind, match["lang"], match["body"], expects,
                                 text.count("\n", 0, match.start()) + 1))
    return found


@dataclass
class Demo:
    """What the demo printed, and where it runs."""

    folder: Path
    base: str = ""
    banner: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    collections: dict[str, str] = field(default_factory=dict)

    def read(self, line: str) -> None:
        """Take one line of the demo's output (the banner starts at "Accord demo hub")."""
        if match := re.match(r"Accord demo hub: (http://\S+)/$", line):
            self.base = match[1]
        if not self.base:
            return
        self.banner.append(line)
        if match := re.match(r"    (\S+)\s+(acd_\S+)$", line):
            self.tokens[match[1]] = match[2]
        elif match := re.match(rf"    (\S+)\s+({UUID.pattern})  ", line):
            self.collections[match[1]] = match[2]

    def fill_in(self, body: str) -> str:
        """The README's placeholders replaced by what the demo printed."""
        lines = []
        for line in body.replace(README_BASE, self.base).splitlines():
            if "acd_..." in line:
                owner = next((name for name in self.tokens if name in line), "lotus-sync")
                line = line.replace("acd_...", self.tokens[owner])
            lines.append(re.sub(r"<([a-z0-9-]+)-id>", lambda m: self.collections[m[1]], line))
        return "\n".join(lines) + "\n"


def environment(**extra: str) -> dict[str, str]:
    """No ACCORD_* settings from the test run; this checkout's code; .venv/bin on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(PYTHONPATH=f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", **extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_demo_arguments(port: int) -> list[str]:
    """The arguments of `accord demo` in the Makefile's demo target, on ``port``."""
    recipe = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1].splitlines()[1]
    words = shlex.split(recipe)
    assert words[0].endswith("/accord") and words[1] == "demo", recipe
    arguments = words[1:]
    arguments[arguments.index("--port") + 1] = str(port)
    return arguments


def _lines(stream: object, into: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))
    into.put(None)


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the demo's process group (gunicorn and the scheduler), then SIGKILL."""
    for signum, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            break
        os.killpg(process.pid, signum)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`accord demo` as the Makefile runs it, served from a temporary folder."""
    found = Demo(tmp_path_factory.mktemp("newcomer"))
    process = subprocess.Popen([str(BIN / "accord"), *make_demo_arguments(free_port())],
                               cwd=found.folder, env=environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while not (found.banner and found.banner[-1].startswith("    `accord …`")):
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            assert line is not None, "the demo stopped:\n" + "\n".join(found.banner)
            found.read(line)
        while not _ready(found.base):
            assert time.monotonic() < deadline and process.poll() is None, "demo not ready"
            time.sleep(0.2)  # waiting for gunicorn to answer, not for time to pass
        yield found
    finally:
        _stop(process)
        reader.join(timeout=5)
        assert process.stdout is not None
        process.stdout.close()
    assert process.returncode is not None


def run(example: Example, body: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", body] if example.lang == "python" else \
        ["bash", "-euo", "pipefail", "-c", body]
    done = subprocess.run(command, cwd=cwd, env=environment(**env), capture_output=True,
                          text=True, timeout=STEP_SECONDS, check=False)
    assert done.returncode == 0, f"{example} failed:\n{done.stdout}\n{done.stderr}"
    for expected in example.expects:
        assert expected in done.stdout, f"{example}: {expected!r} not in:\n{done.stdout}"
    return done


@pytest.mark.slow
def test_the_demo_banner_is_the_one_in_the_readme(demo: Demo) -> None:
    (shown,) = examples("demo-output")
    actual = [TOKEN.sub("acd_", UUID.sub("<id>", line)).replace(demo.base, README_BASE)
              .replace(str(demo.folder), README_FOLDER) for line in demo.banner if line]
    documented = [TOKEN.sub("acd_", UUID.sub("<id>", line)) for line in shown.body.splitlines()]
    assert actual == documented


@pytest.mark.slow
def test_the_readme_examples_run_against_the_demo(demo: Demo) -> None:
    found = examples("demo")
    assert len(found) >= 5, "the README's runnable examples lost their readme-test markers"
    for example in found:
        body = demo.fill_in(example.body)
        assert "acd_..." not in body and not re.search(r"<[a-z-]+-id>", body), body
        run(example, body, demo.folder, ACCORD_TOKEN=demo.tokens["lotus-sync"])


@pytest.mark.slow
def test_the_readme_first_hub_runs_in_an_empty_folder(tmp_path: Path) -> None:
    (example,) = examples("fresh")
    run(example, example.body, tmp_path)
    assert (tmp_path / "instance" / "accord.sqlite3").is_file()
