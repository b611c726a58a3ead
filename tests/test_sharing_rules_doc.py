"""Every section of docs/sharing-rules.md the code cites (the file name, then the section
title in double quotes) resolves to a heading there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "sharing-rules.md"
SOURCES = [ROOT / "platform" / "accord", ROOT / "feeds", ROOT / "exercises",
           ROOT / "advisories", ROOT / "tests"]
CITATION = re.compile(r"sharing-rules\.md\s+\"([^\"]+)\"")


def test_every_cited_section_has_a_heading() -> None:
    headings = {line.lstrip("#").strip() for line in DOC.read_text().splitlines()
                if line.startswith("#")}
    cited = [(str(path.relative_to(ROOT)), " ".join(match.group(1).split()))
             for base in SOURCES for path in sorted(base.rglob("*.py"))
             for match in CITATION.finditer(path.read_text())]
    assert len(cited) >= 8  # the code cites "IEP 2.0 policies" from every read path
    assert [c for c in cited if c[1] not in headings] == []
