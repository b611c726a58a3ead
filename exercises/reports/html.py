"""The after-action report as one self-contained HTML page (inline CSS and SVG chart)."""

from __future__ import annotations

from html import escape
from typing import Any

from exercises.reports.markdown import render_markdown

STYLE = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;width:100%;font-size:0.9rem}
th,td{border:1px solid #c9c9c9;padding:0.3rem 0.5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
blockquote{border-left:6px solid #b00020;background:#fdecef;margin:1rem 0;padding:0.5rem 1rem}
h1,h2,h3{line-height:1.2}
.timing-chart{max-width:100%;height:auto}
@media print{body{margin:0}}
"""


def render_html(report: dict[str, Any]) -> str:
    """A complete HTML document for the report."""
    import markdown  # only when a report is rendered as HTML (issue 15)

    body = markdown.markdown(render_markdown(report), extensions=["tables"],
                             output_format="html")
    title = escape(f"After-action report: {report['exercise']['name']}")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><meta name=\"viewport\" "
            f"content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")
