"""The layers contract (docs/ARCHITECTURE.md, "Layers"): core <- features <- assembly.

Built from the real import graph (grimp, the engine of import-linter), so indirect chains count:
a core module that imports something which imports ``feeds`` breaks the contract as surely as
a direct import. Run in CI with the rest of the suite.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ("feeds", "exercises")
ASSEMBLY = "accord.assembly"
ENTRY_POINTS = frozenset({"accord.__main__"})  # `python -m accord` runs the assembled CLI


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("accord", *FEATURES, cache_dir=None)


def _core_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m.split(".")[0] == "accord"
                  and not (m == ASSEMBLY or m.startswith(ASSEMBLY + "."))
                  and m not in ENTRY_POINTS)


def _chain(graph: grimp.ImportGraph, importer: str, imported: str) -> list[str] | None:
    """The shortest import chain from module ``importer`` into package ``imported``, if any."""
    reached = sorted(m for m in graph.find_upstream_modules(importer)
                     if m == imported or m.startswith(imported + "."))
    if not reached:
        return None
    chain = graph.find_shortest_chain(importer=importer, imported=reached[0])
    return list(chain) if chain else [importer, reached[0]]


def _package_chain(graph: grimp.ImportGraph, package: str, imported: str) -> list[str] | None:
    """The first chain from any module of ``package`` into package ``imported``."""
    for module in sorted(m for m in graph.modules if m.split(".")[0] == package):
        chain = _chain(graph, module, imported)
        if chain:
            return chain
    return None


@pytest.mark.parametrize("upper", [*FEATURES, ASSEMBLY])
def test_the_core_never_imports_a_feature_or_the_assembly(graph: grimp.ImportGraph,
                                                          upper: str) -> None:
    broken = {m: _chain(graph, m, upper) for m in _core_modules(graph)}
    assert {m: c for m, c in broken.items() if c} == {}


@pytest.mark.parametrize(("feature", "other"), [("feeds", "exercises"), ("exercises", "feeds")])
def test_features_are_independent_of_each_other(graph: grimp.ImportGraph, feature: str,
                                                other: str) -> None:
    assert _package_chain(graph, feature, other) is None


@pytest.mark.parametrize("feature", FEATURES)
def test_features_never_import_the_assembly(graph: grimp.ImportGraph, feature: str) -> None:
    assert _package_chain(graph, feature, ASSEMBLY) is None


def test_the_contract_sees_every_source_file(graph: grimp.ImportGraph) -> None:
    """A module the graph misses would escape the contract."""
    files = {".".join(p.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
             for base, package in ((ROOT / "platform", "accord"), (ROOT, "feeds"),
                                   (ROOT, "exercises"))
             for p in (base / package).rglob("*.py") if "migrations" not in p.parts}
    assert files == set(graph.modules)
