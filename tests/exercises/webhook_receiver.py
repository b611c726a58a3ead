"""A partner's webhook endpoint on 127.0.0.1 for tests: scripted answers, slow or failing,
and a record of every request (body and idempotency key), deduplicating by key; optionally a
check run while each request is handled (e.g. :func:`tests.dbprobe.write_lock_held`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """Answers with ``script`` in order (then 204); ``"hold"`` blocks until :meth:`let_go`.
    ``during``, if set, is called while handling each request; ``observed`` keeps its results."""

    url: str = ""
    script: list[int | str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> first body
    duplicates: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    during: Callable[[], Any] | None = None
    observed: list[Any] = field(default_factory=list)

    def answer(self, key: str, body: dict[str, Any]) -> int:
        seen = self.during() if self.during is not None else None
        with self.lock:
            if self.during is not None:
                self.observed.append(seen)
            self.requests.append((key, body))
            step = self.script.pop(0) if self.script else 204
        if step == "hold":  # work slowly, then accept (the hub may have stopped waiting)
            self.holding.set()
            self.released.wait(30)
            step = 204
        assert isinstance(step, int)
        if 200 <= step < 300:
            with self.lock:
                if key in self.accepted:
                    self.duplicates += 1  # what a receiver does with the key: drop it
                else:
                    self.accepted[key] = body
        return step

    def let_go(self) -> None:
        self.released.set()


@contextmanager
def receiver(*script: int | str, during: Callable[[], Any] | None = None
             ) -> Iterator[Receiver]:
    """Serve a :class:`Receiver` on 127.0.0.1 for the duration of the block."""
    state = Receiver(script=list(script), during=during)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            status = state.answer(self.headers.get("Idempotency-Key", ""), body)
            try:
                self.send_response(status)
                self.end_headers()
            except OSError:  # the hub gave up waiting (its deadline passed)
                pass

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield state
    finally:
        state.let_go()
        server.shutdown()
        server.server_close()
        thread.join(10)
