"""Every architecture rule or section the code cites resolves in docs/ARCHITECTURE.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
SOURCES = [ROOT / "platform" / "accord", ROOT / "feeds", ROOT / "exercises", ROOT / "tests"]
RULES = re.compile(r"\brules? (\d+(?:(?:, | and )\d+)*)")
SECTIONS = re.compile(r"ARCHITECTURE(?:\.md)?,? \"([^\"]+)\"")


def _headings() -> set[str]:
    return {line.lstrip("#").strip() for line in DOC.read_text().splitlines()
            if line.startswith("#")}


def _citations() -> list[tuple[str, str]]:
    found = []
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            text = path.read_text()
            where = str(path.relative_to(ROOT))
            found += [(where, f"Rule {n}") for match in RULES.finditer(text)
                      for n in re.findall(r"\d+", match.group(1))]
            found += [(where, match.group(1)) for match in SECTIONS.finditer(text)]
    return found


def test_every_cited_rule_and_section_has_a_heading() -> None:
    citations = _citations()
    assert len(citations) > 20  # the scan itself works
    headings = _headings()
    assert [c for c in citations if c[1] not in headings] == []


def test_the_rules_are_numbered_one_to_seven() -> None:
    assert {h for h in _headings() if h.startswith("Rule ")} == {f"Rule {n}" for n in range(1, 8)}
