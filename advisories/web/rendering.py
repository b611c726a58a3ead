"""Safe rendering for the advisory pages: Markdown bodies without raw HTML.

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
