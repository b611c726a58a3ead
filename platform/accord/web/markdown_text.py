"""Markdown for text partners wrote (inject bodies, advisories), rendered without their HTML.

Raw HTML in the source is shown as text, not markup, and links or images may only point to
http(s), mailto or a fragment: a ``javascript:`` link or an ``<img onerror>`` never reaches a
reader's browser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

SAFE_SCHEMES = ("http://", "https://", "mailto:", "#")


class _SafeLinks(Treeprocessor):
    """Drop link targets and image sources that are not plain web, mail or in-page links."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not value.strip().lower().startswith(SAFE_SCHEMES):
                    del element.attrib[attribute]


class _NoRawHtml(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "accord_safe_links", 0)


def render(text: str | None) -> Markup:
    """``text`` as HTML: Markdown formatting, lists and links; never the source's own HTML."""
    html = markdown.markdown(text or "", extensions=[_NoRawHtml()], output_format="html")
    return Markup(html)  # noqa: S704 - built from escaped text by Markdown, links filtered
