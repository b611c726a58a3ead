"""After-action reports: :mod:`data` builds the report, the other modules render it."""

from __future__ import annotations

import json
from typing import Any

from exercises.reports.html import render_html
from exercises.reports.markdown import render_markdown

FORMATS = ("json", "markdown", "html")
MEDIA_TYPES = {"json": "application/json", "markdown": "text/markdown; charset=utf-8",
               "html": "text/html; charset=utf-8"}
EXTENSIONS = {"json": "json", "markdown": "md", "html": "html"}


def render(report: dict[str, Any], fmt: str) -> str:
    """The report as text in ``fmt`` (json, markdown or html)."""
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
