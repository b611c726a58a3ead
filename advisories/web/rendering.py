"""Safe rendering for the advisory pages: Markdown bodies without raw HTML, and lateness.

An advisory body is written by the notification centre but shown in every constituent's
browser, so it is escaped before Markdown runs (raw HTML becomes text) and any link that is not
http(s), mailto or a same-site path loses its target.
"""

from __future__ import annotations

import html
import re

import markdown
from markupsafe import Markup

_HREF = re.compile(r'(href|src)="([^"]*)"')
_SAFE_TARGET = re.compile(r"^(https?:|mailto:|/(?!/)|#)", re.IGNORECASE)


def _guard_link(found: re.Match[str]) -> str:
    target = html.unescape(found.group(2)).strip()
    return found.group(0) if _SAFE_TARGET.match(target) else f'{found.group(1)}="#"'


def safe_markdown(text: str) -> Markup:
    """The body as HTML: Markdown formatting, never the author's own tags or script links."""
    rendered = markdown.markdown(html.escape(text, quote=False), output_format="html")
    return Markup(_HREF.sub(_guard_link, rendered))  # noqa: S704 - escaped above


def lateness(seconds: float | None) -> str:
    """``late 30 min``, ``late 2 h 5 min``, ``late 1 d 3 h``; empty when on time."""
    if not seconds:
        return ""
    minutes = max(1, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) \
        + ([f"{minutes} min"] if minutes and not days else [])
    return "late " + " ".join(parts)


def duration_text(seconds: float | None) -> str:
    """A time taken, as ``45 min`` or ``3 h 10 min`` (``—`` when not done)."""
    if seconds is None:
        return "—"
    return lateness(seconds).removeprefix("late ") or "0 min"
