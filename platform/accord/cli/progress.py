"""Progress of long CLI work (``feeds run``, ``export``, ``db upgrade``), on standard error.

On a terminal: a click progress bar when the amount of work is known, otherwise one status
line rewritten in place. Elsewhere (a pipe, a log file, cron): a plain line at most every
:data:`INTERVAL_SECONDS`, so a log shows the work moving without a line per item. Standard
output is never touched, so an export piped to another program stays byte for byte the same;
``--quiet`` turns all of it off. The summary line at the end is the command's own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

import click

INTERVAL_SECONDS = 5.0
"""Seconds between two progress lines when standard error is not a terminal."""
REDRAW_SECONDS = 0.1
"""Seconds between two redraws of the in-place status line on a terminal."""


class Progress:
    """Report ``done`` (of ``total``, when known) with a short ``detail``; a context manager
    that clears the terminal's bar or status line when the work ends."""

    def __init__(self, label: str, *, total: int | None = None, quiet: bool = False,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.label = label
        self.total = total
        self.quiet = quiet
        self.stream: TextIO = stream if stream is not None else sys.stderr
        self.tty = not quiet and self.stream.isatty()
        self.clock = clock
        self.done = 0
        self.lines = 0
        self._last = clock()
        self._width = 0
        self._bar: Any = None
        if self.tty and total is not None:
            self._bar = click.progressbar(length=total, label=label, file=self.stream,
                                          show_pos=True)
            self._bar.__enter__()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def advance(self, step: int = 1, detail: str = "") -> None:
        self.update(self.done + step, detail)

    def update(self, done: int, detail: str = "") -> None:
        """The work has reached ``done``; show it if it is time to."""
        step, self.done = done - self.done, done
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(step)
            return
        now = self.clock()
        if now - self._last < (REDRAW_SECONDS if self.tty else INTERVAL_SECONDS):
            return
        self._last = now
        text = f"{self.label}: {detail or self._count()}"
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
            self.lines += 1
        self.stream.flush()

    def _count(self) -> str:
        return f"{self.done:,} of {self.total:,}" if self.total is not None else f"{self.done:,}"

    def close(self) -> None:
        """Take the bar or status line off the terminal, so the summary starts a clean line."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        elif self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
